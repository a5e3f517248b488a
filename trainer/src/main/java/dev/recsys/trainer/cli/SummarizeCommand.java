package dev.recsys.trainer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code recsys summarize}: mean ± std of several report.json files, as a Markdown table. */
@Command(name = "summarize", mixinStandardHelpOptions = true, description = "Aggregate report.json files (for example over split seeds) into mean ± std per model.")
public final class SummarizeCommand implements Callable<Integer> {

  @Parameters(paramLabel = "REPORT", arity = "1..*", description = "report.json files or the directories holding them")
  List<Path> reports;

  private static final String[] METRICS = {"ndcg@100", "recall@20", "recall@50"};

  @Override
  public Integer call() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Map<String, List<JsonNode>> byModel = new LinkedHashMap<>();
    java.util.Set<String> splitsSeen = new java.util.HashSet<>();
    for (Path p : reports) {
      Path file = p.toFile().isDirectory() ? p.resolve("report.json") : p;
      JsonNode r = json.readTree(file.toFile());
      String model = "Mult-" + r.get("model").asText().toUpperCase();
      byModel.computeIfAbsent(model, k -> new ArrayList<>()).add(r.get("test"));
      // runs on the same split share their baselines: count those once per split
      if (splitsSeen.add(r.path("data").path("fingerprint").asText(file.toString()))) {
        r.get("baselines").fields().forEachRemaining(e -> byModel.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
      }
    }
    System.out.println("| model | runs | NDCG@100 | Recall@20 | Recall@50 |");
    System.out.println("|---|---|---|---|---|");
    for (Map.Entry<String, List<JsonNode>> e : byModel.entrySet()) {
      StringBuilder row = new StringBuilder("| " + e.getKey() + " | " + e.getValue().size());
      for (String m : METRICS) {
        double[] v = e.getValue().stream().mapToDouble(n -> n.get(m).asDouble()).toArray();
        row.append(String.format(" | %.4f ± %.4f", mean(v), std(v)));
      }
      System.out.println(row.append(" |"));
    }
    return 0;
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) {
      s += x;
    }
    return s / v.length;
  }

  /** Sample standard deviation (n − 1); 0 for a single run. */
  static double std(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }
}
