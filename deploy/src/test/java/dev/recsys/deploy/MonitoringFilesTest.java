package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The dashboard and the alert rules as files: the dashboard is well formed and covers every metric
 * the job registers, the alerts behave as described on synthetic series (promtool), compose mounts
 * and provisions the same files against the job's reporter, and the chart ships the same files as
 * a Grafana sidecar ConfigMap and a PrometheusRule. {@link MonitoringQueriesTest} runs the queries
 * themselves against the running job.
 */
class MonitoringFilesTest {

  private static final Path CHART = Repo.ROOT.resolve("helm/recsys");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)\\}?");
  private static final Set<String> GRAFANA_BUILT_INS = Set.of("__rate_interval", "__interval", "__range");
  private static final Pattern REGISTERED_METRIC = Pattern.compile("\\.(?:counter|gauge|histogram|meter)\\(\"(\\w+)\"");

  @TempDir Path tmp;

  @BeforeAll
  static void loadCompose() throws Exception {
    ComposeFileTest.load();
  }

  @Test
  void everyPanelQueriesTheProvisionedPrometheusThroughTheDatasourceVariable() throws Exception {
    JsonNode d = MonitoringFiles.dashboard();
    assertThat(d.path("uid").asText()).isNotBlank();
    Map<String, JsonNode> variables = new java.util.HashMap<>();
    d.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
    JsonNode ds = variables.get("datasource");
    assertThat(ds.path("type").asText()).isEqualTo("datasource");
    assertThat(ds.path("query").asText()).isEqualTo("prometheus");
    assertThat(ds.path("current").path("value").asText()).isEqualTo(provisionedDatasourceUid());

    List<JsonNode> panels = MonitoringFiles.dataPanels(d);
    assertThat(panels).hasSizeGreaterThan(8);
    for (JsonNode p : panels) {
      String title = p.path("title").asText();
      assertThat(title).isNotBlank();
      assertThat(p.path("description").asText()).as(title).isNotBlank();
      assertPrometheusVariable(p.path("datasource"), title);
      assertThat(p.path("targets")).as(title).isNotEmpty();
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : p.path("targets")) {
        assertThat(refIds.add(t.path("refId").asText())).as(title + " refIds").isTrue();
        assertPrometheusVariable(t.path("datasource"), title);
        String expr = t.path("expr").asText();
        assertThat(expr).as(title).isNotBlank();
        assertThat(MonitoringFiles.metrics(expr)).as(title + ": " + expr).isNotEmpty();
        Matcher m = VARIABLE.matcher(expr);
        while (m.find()) {
          assertThat(variables.containsKey(m.group(1)) || GRAFANA_BUILT_INS.contains(m.group(1))).as(title + ": $" + m.group(1)).isTrue();
        }
      }
    }
    assertPrometheusVariable(variables.get("job").path("datasource"), "variable job");

    // ids unique, panels inside the 24-column grid and not on top of each other
    List<JsonNode> all = new ArrayList<>();
    d.path("panels").forEach(all::add);
    assertThat(all.stream().map(p -> p.path("id").asInt()).distinct().count()).isEqualTo(all.size());
    for (int i = 0; i < all.size(); i++) {
      JsonNode a = all.get(i).path("gridPos");
      assertThat(a.path("x").asInt() + a.path("w").asInt()).as(all.get(i).path("title").asText()).isLessThanOrEqualTo(24);
      for (int j = i + 1; j < all.size(); j++) {
        JsonNode b = all.get(j).path("gridPos");
        boolean apart = a.path("x").asInt() + a.path("w").asInt() <= b.path("x").asInt() || b.path("x").asInt() + b.path("w").asInt() <= a.path("x").asInt()
            || a.path("y").asInt() + a.path("h").asInt() <= b.path("y").asInt() || b.path("y").asInt() + b.path("h").asInt() <= a.path("y").asInt();
        assertThat(apart).as(all.get(i).path("title").asText() + " overlaps " + all.get(j).path("title").asText()).isTrue();
      }
    }
  }

  private static void assertPrometheusVariable(JsonNode datasource, String where) {
    assertThat(datasource.path("type").asText()).as(where).isEqualTo("prometheus");
    assertThat(datasource.path("uid").asText()).as(where).isEqualTo("${datasource}");
  }

  @Test
  void theDashboardShowsEveryMetricTheJobRegisters() throws Exception {
    TreeSet<String> registered = new TreeSet<>();
    try (Stream<Path> sources = Files.walk(Repo.ROOT.resolve("flink-job/src/main/java"))) {
      for (Path f : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = REGISTERED_METRIC.matcher(Files.readString(f));
        while (m.find()) {
          registered.add(m.group(1));
        }
      }
    }
    assertThat(registered).contains("eventsIn", "eventToEmitMillis", "modelVersion"); // the scan finds them
    TreeSet<String> shown = new TreeSet<>();
    MonitoringFiles.dashboardQueries().forEach(q -> MonitoringFiles.metrics(q.expr()).forEach(name -> shown.add(name.replaceAll("^flink_taskmanager_job_task_operator_(model_role_version_|scorer_)?", ""))));
    assertThat(shown).containsAll(registered);
  }

  @Test
  void alertsFireAndStayQuietAsTheirCommentsSay() throws Exception {
    Path promtool = PrometheusServer.promtool().orElse(null);
    assumeTrue(promtool != null, "no promtool (Debian's prometheus package, which .ci/run installs): the alert unit tests were not run");
    String out = run(MonitoringFiles.ALERT_TESTS.getParent(), promtool.toString(), "test", "rules", MonitoringFiles.ALERT_TESTS.getFileName().toString());
    assertThat(out).contains("SUCCESS");
    // the tests cover every alert of the file
    String tests = Files.readString(MonitoringFiles.ALERT_TESTS);
    assertThat(MonitoringFiles.alerts()).allSatisfy(a -> assertThat(tests).contains("alertname: " + a.name()));
  }

  @Test
  @SuppressWarnings("unchecked")
  void composeScrapesTheJobsReporterAndServesTheChartsFiles() throws Exception {
    Map<String, Object> promConfig = new Yaml().load(Files.readString(Repo.ROOT.resolve("docker/prometheus/prometheus.yml")));
    Map<String, Object> prometheus = ComposeFileTest.service("prometheus");
    assertThat((String) prometheus.get("image")).startsWith("prom/prometheus:");
    List<String> promVolumes = ComposeFileTest.list(prometheus, "volumes");
    assertThat(promVolumes).contains("./docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
    // the rule files Prometheus loads are the chart's
    String ruleGlob = ((List<String>) promConfig.get("rule_files")).get(0);
    assertThat(promVolumes).contains("./helm/recsys/files/prometheus:" + Path.of(ruleGlob).getParent() + ":ro");
    assertThat(MonitoringFiles.ALERTS.getFileName().toString()).matches(Path.of(ruleGlob).getFileName().toString().replace(".", "\\.").replace("*", ".*"));

    // it scrapes every Flink service on the port their reporter listens on
    Map<String, Object> scrape = ((List<Map<String, Object>>) promConfig.get("scrape_configs")).get(0);
    Map<String, Object> dns = ((List<Map<String, Object>>) scrape.get("dns_sd_configs")).get(0);
    assertThat((List<String>) dns.get("names")).containsExactlyInAnyOrder("jobmanager", "taskmanager");
    for (String flink : (List<String>) dns.get("names")) {
      Map<String, Object> props = new Yaml().load(new StringReader((String) ComposeFileTest.env(flink).get("FLINK_PROPERTIES")));
      assertThat(props.get("metrics.reporter.prom.factory.class")).as(flink).isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
      assertThat(props.get("metrics.reporter.prom.port")).as(flink).isEqualTo(dns.get("port"));
    }

    // Grafana: the provisioned data source is that Prometheus, the dashboards are the chart's
    Map<String, Object> grafana = ComposeFileTest.service("grafana");
    assertThat((String) grafana.get("image")).startsWith("grafana/grafana:");
    Map<String, String> mounts = new java.util.HashMap<>();
    for (String v : ComposeFileTest.list(grafana, "volumes")) {
      String[] parts = v.split(":");
      if (parts[0].startsWith("./")) {
        assertThat(Repo.ROOT.resolve(parts[0].substring(2))).as(v).exists();
        mounts.put(parts[0], parts[1]);
      }
    }
    assertThat(mounts).containsEntry("./docker/grafana/provisioning/datasources", "/etc/grafana/provisioning/datasources")
        .containsEntry("./docker/grafana/provisioning/dashboards", "/etc/grafana/provisioning/dashboards");
    Map<String, Object> source = provisionedDatasource();
    assertThat(source.get("url")).isEqualTo("http://prometheus:9090");
    assertThat(ComposeFileTest.services).containsKey("prometheus");
    Map<String, Object> dashboards = new Yaml().load(Files.readString(Repo.ROOT.resolve("docker/grafana/provisioning/dashboards/recsys.yaml")));
    String dashboardDir = (String) ((Map<String, Object>) ((List<Map<String, Object>>) dashboards.get("providers")).get(0).get("options")).get("path");
    assertThat(mounts).containsEntry("./helm/recsys/files/grafana", dashboardDir);
    assertThat(ComposeFileTest.env("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"))
        .isEqualTo(dashboardDir + "/" + MonitoringFiles.DASHBOARD.getFileName());
  }

  @Test
  void composesPrometheusAcceptsItsConfiguration() throws Exception {
    Path promtool = PrometheusServer.promtool().orElse(null);
    assumeTrue(promtool != null, "no promtool (Debian's prometheus package, which .ci/run installs): prometheus.yml was not checked");
    // the container's rule path, pointed at the repository's file
    String config = Files.readString(Repo.ROOT.resolve("docker/prometheus/prometheus.yml"))
        .replace("/etc/prometheus/rules/*.yaml", MonitoringFiles.ALERTS.toString());
    Path file = Files.writeString(tmp.resolve("prometheus.yml"), config);
    assertThat(run(tmp, promtool.toString(), "check", "config", file.toString())).contains("SUCCESS: 4 rules found");
  }

  @Test
  void theChartShipsNeitherUnlessAsked() {
    List<Map<String, Object>> docs = render(Map.of());
    assertThat(HelmChartTest.all(docs, "PrometheusRule")).isEmpty();
    assertThat(HelmChartTest.all(docs, "ConfigMap")).noneSatisfy(c -> assertThat(name(c)).endsWith("-dashboard"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theChartShipsTheSameDashboardForTheSidecar() throws Exception {
    List<Map<String, Object>> docs = render(Map.of("monitoring.grafanaDashboard.enabled", "true",
        "monitoring.grafanaDashboard.annotations.grafana_folder", "recsys"));
    Map<String, Object> cm = HelmChartTest.all(docs, "ConfigMap").stream().filter(c -> name(c).equals("rel-recsys-dashboard")).findFirst().orElseThrow();
    Map<String, Object> meta = HelmChartTest.map(cm, "metadata");
    assertThat(HelmChartTest.map(meta, "labels")).containsEntry("grafana_dashboard", "1");
    assertThat(HelmChartTest.map(meta, "annotations")).containsEntry("grafana_folder", "recsys");
    Map<String, Object> data = HelmChartTest.map(cm, "data");
    assertThat(data).containsOnlyKeys(MonitoringFiles.DASHBOARD.getFileName().toString());
    ObjectMapper json = new ObjectMapper();
    assertThat(json.readTree((String) data.get(MonitoringFiles.DASHBOARD.getFileName().toString()))).isEqualTo(MonitoringFiles.dashboard());

    // another sidecar label
    Map<String, Object> other = HelmChartTest.all(render(Map.of("monitoring.grafanaDashboard.enabled", "true",
        "monitoring.grafanaDashboard.label", "dashboards", "monitoring.grafanaDashboard.labelValue", "recsys")), "ConfigMap")
        .stream().filter(c -> name(c).endsWith("-dashboard")).findFirst().orElseThrow();
    assertThat(HelmChartTest.map(HelmChartTest.map(other, "metadata"), "labels")).containsEntry("dashboards", "recsys").doesNotContainKey("grafana_dashboard");
  }

  @Test
  @SuppressWarnings("unchecked")
  void theChartsPrometheusRuleIsTheRulesFileWithEachAlertSwitchableAndTimed() throws Exception {
    Map<String, Object> file = new Yaml().load(Files.readString(MonitoringFiles.ALERTS));
    Map<String, Object> rule = HelmChartTest.only(render(Map.of("monitoring.prometheusRule.enabled", "true",
        "monitoring.prometheusRule.labels.release", "kube-prometheus-stack")), "PrometheusRule");
    assertThat(rule.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(HelmChartTest.map(HelmChartTest.map(rule, "metadata"), "labels")).containsEntry("release", "kube-prometheus-stack");
    // with the default values, the rules are the file's, "for" included
    assertThat(HelmChartTest.map(rule, "spec").get("groups")).isEqualTo(file.get("groups"));
    promtoolAccepts(HelmChartTest.map(rule, "spec"));

    Map<String, Object> changed = HelmChartTest.only(render(Map.of("monitoring.prometheusRule.enabled", "true",
        "monitoring.alerts.RecsysNoRecommendations.for", "30m", "monitoring.alerts.RecsysModelLoadFailed.enabled", "false")), "PrometheusRule");
    List<Map<String, Object>> rules = (List<Map<String, Object>>) ((List<Map<String, Object>>) HelmChartTest.map(changed, "spec").get("groups")).get(0).get("rules");
    assertThat(rules).extracting(r -> r.get("alert")).containsExactly("RecsysCheckpointsFailing", "RecsysConsumerLagGrowing", "RecsysNoRecommendations");
    Map<String, Object> noRecs = rules.stream().filter(r -> r.get("alert").equals("RecsysNoRecommendations")).findFirst().orElseThrow();
    assertThat(noRecs.get("for")).isEqualTo("30m");
    assertThat(noRecs.get("expr")).isEqualTo(MonitoringFiles.alerts().stream().filter(a -> a.name().equals("RecsysNoRecommendations")).findFirst().orElseThrow().expr());
    promtoolAccepts(HelmChartTest.map(changed, "spec"));

    // a setting for an alert the file does not have is a mistake, not a silent no-op
    assertThatThrownBy(() -> render(Map.of("monitoring.prometheusRule.enabled", "true", "monitoring.alerts.RecsysNoRecomendations.for", "5m")))
        .hasMessageContaining("monitoring.alerts.RecsysNoRecomendations").hasMessageContaining("RecsysNoRecommendations");
  }

  @Test
  @SuppressWarnings("unchecked")
  void thePodMonitorScrapesThePortTheReporterListensOn() {
    List<Map<String, Object>> docs = render(Map.of("metrics.podMonitor.enabled", "true"));
    Map<String, Object> spec = HelmChartTest.map(HelmChartTest.only(docs, "FlinkDeployment"), "spec");
    Object reporterPort = HelmChartTest.map(spec, "flinkConfiguration").get("metrics.reporter.prom.port");
    List<Map<String, Object>> containers = (List<Map<String, Object>>) HelmChartTest.map(HelmChartTest.map(spec, "podTemplate"), "spec").get("containers");
    List<Map<String, Object>> ports = (List<Map<String, Object>>) containers.get(0).get("ports");
    String endpointPort = (String) ((List<Map<String, Object>>) HelmChartTest.map(HelmChartTest.only(docs, "PodMonitor"), "spec").get("podMetricsEndpoints")).get(0).get("port");
    assertThat(ports).anySatisfy(p -> {
      assertThat(p.get("name")).isEqualTo(endpointPort);
      assertThat(String.valueOf(p.get("containerPort"))).isEqualTo(String.valueOf(reporterPort));
    });
  }

  private void promtoolAccepts(Map<String, Object> spec) throws Exception {
    Path promtool = PrometheusServer.promtool().orElse(null);
    if (promtool == null) {
      return; // the structure is compared above; promtool's own check needs the package
    }
    Path f = Files.writeString(tmp.resolve("rendered-rules-" + System.nanoTime() + ".yaml"), new Yaml().dump(spec));
    assertThat(run(tmp, promtool.toString(), "check", "rules", f.toString())).contains("SUCCESS");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> provisionedDatasource() throws Exception {
    Map<String, Object> f = new Yaml().load(Files.readString(Repo.ROOT.resolve("docker/grafana/provisioning/datasources/prometheus.yaml")));
    List<Map<String, Object>> sources = (List<Map<String, Object>>) f.get("datasources");
    assertThat(sources).hasSize(1);
    assertThat(sources.get(0)).containsEntry("type", "prometheus").containsEntry("isDefault", true);
    return sources.get(0);
  }

  private static String provisionedDatasourceUid() throws Exception {
    return (String) provisionedDatasource().get("uid");
  }

  private static List<Map<String, Object>> render(Map<String, String> values) {
    TemplateCommand t = new Helm(CHART).template().withName("rel").set("kafka.bootstrap", "k:9092");
    values.forEach(t::set);
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object d : new Yaml().loadAll(t.call())) {
      if (d != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) d;
        docs.add(m);
      }
    }
    return docs;
  }

  private static String name(Map<String, Object> doc) {
    return (String) HelmChartTest.map(doc, "metadata").get("name");
  }

  /** Runs a command; its output, which must end in exit code 0. */
  private static String run(Path dir, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
    return out;
  }
}
