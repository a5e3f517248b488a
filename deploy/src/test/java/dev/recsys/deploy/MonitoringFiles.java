package dev.recsys.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.Yaml;

/** The dashboard and the alert rules the chart ships (and compose mounts), as the tests read them. */
final class MonitoringFiles {

  static final Path DASHBOARD = Repo.ROOT.resolve("helm/recsys/files/grafana/recsys-dashboard.json");
  static final Path ALERTS = Repo.ROOT.resolve("helm/recsys/files/prometheus/recsys-alerts.yaml");
  static final Path ALERT_TESTS = Repo.ROOT.resolve("deploy/src/test/prometheus/recsys-alerts-test.yaml");

  /** Flink's reporter metric names: flink_ and the scope, then the metric. */
  private static final Pattern METRIC = Pattern.compile("\\bflink_[A-Za-z0-9_:]+");

  /** One PromQL query of the dashboard: the panel, the series' legend, the expression as Grafana sends it. */
  record Query(String panel, String legend, String expr) {
    @Override
    public String toString() {
      return "'" + panel + "' / '" + legend + "': " + expr;
    }
  }

  /** One alerting rule of the rules file. */
  record Alert(String name, String expr, String forDuration) {}

  private MonitoringFiles() {}

  static JsonNode dashboard() throws IOException {
    return new ObjectMapper().readTree(DASHBOARD.toFile());
  }

  /** The panels that draw data (rows only group them). */
  static List<JsonNode> dataPanels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode p : dashboard.get("panels")) {
      if (!"row".equals(p.path("type").asText())) {
        out.add(p);
      }
    }
    return out;
  }

  static List<Query> dashboardQueries() throws IOException {
    List<Query> out = new ArrayList<>();
    for (JsonNode p : dataPanels(dashboard())) {
      for (JsonNode t : p.path("targets")) {
        out.add(new Query(p.path("title").asText(), t.path("legendFormat").asText(), t.path("expr").asText()));
      }
    }
    return out;
  }

  /** The dashboard's template variables of type query: name -> the query Grafana runs. */
  static Map<String, String> variableQueries() throws IOException {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (JsonNode v : dashboard().path("templating").path("list")) {
      if ("query".equals(v.path("type").asText())) {
        out.put(v.path("name").asText(), v.path("query").path("query").asText());
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<Alert> alerts() throws IOException {
    Map<String, Object> file = new Yaml().load(Files.readString(ALERTS));
    List<Alert> out = new ArrayList<>();
    for (Map<String, Object> g : (List<Map<String, Object>>) file.get("groups")) {
      for (Map<String, Object> r : (List<Map<String, Object>>) g.get("rules")) {
        out.add(new Alert((String) r.get("alert"), ((String) r.get("expr")).trim(), String.valueOf(r.get("for"))));
      }
    }
    return out;
  }

  /** The reporter metrics an expression reads. */
  static TreeSet<String> metrics(String expr) {
    TreeSet<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(expr);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /**
   * What Flink's Prometheus reporter makes of a label value by default: every character outside
   * [a-zA-Z0-9:_] becomes '_' (a job named "recsys-eu" is job_name="recsys_eu").
   */
  static String labelValue(String s) {
    return s.replaceAll("[^a-zA-Z0-9:_]", "_");
  }
}
