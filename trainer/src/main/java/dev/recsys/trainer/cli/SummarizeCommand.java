package dev.recsys.trainer.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.report.TrainingReport;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code recsys summarize}: mean ± std of several report.json files, as a Markdown table. */
@Command(name = "summarize", mixinStandardHelpOptions = true, description = "Aggregate report.json files (for example over split seeds) into mean ± std per model.")
public final class SummarizeCommand implements Callable<Integer> {

  @Parameters(paramLabel = "REPORT", arity = "1..*", description = "report.json files or the directories holding them")
  List<Path> reports;

  private static final List<ToDoubleFunction<Metrics>> METRICS =
      List.of(Metrics::ndcg100, Metrics::recall20, Metrics::recall50, Metrics::heldOutRecall20, Metrics::heldOutRecall100);

  @Override
  public Integer call() throws Exception {
    // reports written before a setting was dropped (config.sparseInput) still summarise
    ObjectMapper json = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    Map<String, List<Metrics>> byModel = new LinkedHashMap<>();
    Set<String> splitsSeen = new HashSet<>();
    for (Path p : reports) {
      Path file = p.toFile().isDirectory() ? p.resolve("report.json") : p;
      TrainingReport r;
      try {
        r = json.readValue(file.toFile(), TrainingReport.class);
      } catch (MismatchedInputException e) {
        // for example a report from before heldOutRecall@K: training again writes a complete one
        throw new IllegalArgumentException(file + ": not a complete report.json: " + e.getOriginalMessage(), e);
      }
      byModel.computeIfAbsent("Mult-" + r.model().toUpperCase(), k -> new ArrayList<>()).add(r.test());
      // runs on the same split share their baselines: count those once per split
      if (splitsSeen.add(r.data().fingerprint())) {
        byModel.computeIfAbsent("popularity", k -> new ArrayList<>()).add(r.baselines().popularity().test());
        if (r.baselines().ease() != null) {
          byModel.computeIfAbsent("ease", k -> new ArrayList<>()).add(r.baselines().ease().test());
        }
      }
    }
    System.out.println("| model | runs | NDCG@100 | Recall@20 | Recall@50 | heldOutRecall@20 | heldOutRecall@100 |");
    System.out.println("|---|---|---|---|---|---|---|");
    for (Map.Entry<String, List<Metrics>> e : byModel.entrySet()) {
      StringBuilder row = new StringBuilder("| " + e.getKey() + " | " + e.getValue().size());
      for (ToDoubleFunction<Metrics> m : METRICS) {
        double[] v = e.getValue().stream().mapToDouble(m).toArray();
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
