package dev.recsys.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.recsys.model.FileTrees;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.Tensor;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import dev.recsys.trainer.eval.Ease;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.eval.Popularity;
import dev.recsys.trainer.report.Plots;
import dev.recsys.trainer.train.EpochStats;
import dev.recsys.trainer.train.MultTrainer;
import dev.recsys.trainer.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run, end to end: data → split → training with validation → test metrics and
 * baselines → bundle, {@code report.json}, {@code report.md} and plots in the output directory.
 *
 * <p>Output layout: {@code split/} (the reference layout), {@code checkpoint/}, {@code bundle/},
 * {@code report.json}, {@code report.md}, {@code loss.png}, {@code validation.png}.
 */
public final class TrainRunner {

  private static final Logger LOG = LoggerFactory.getLogger(TrainRunner.class);
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** EASE's λ grid, tuned on validation NDCG@100. */
  public static final List<Double> DEFAULT_EASE_LAMBDAS = List.of(50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0);

  /**
   * @param ratings a MovieLens ratings file (ignored when split is set)
   * @param split a directory in the reference split layout, or null to preprocess {@code ratings}
   * @param preprocess how to split raw ratings
   * @param skipBadRows count and skip malformed rows instead of failing
   * @param train training settings
   * @param device where to train
   * @param out output directory
   * @param easeLambdas λ grid for EASE; empty skips EASE
   * @param listener progress
   */
  public record Options(
      Path ratings,
      Path split,
      Preprocessor.Options preprocess,
      boolean skipBadRows,
      TrainConfig train,
      Device device,
      Path out,
      List<Double> easeLambdas,
      MultTrainer.Listener listener) {}

  /** The run's result; {@code report} is what report.json holds. */
  public record Result(Path bundle, Map<String, Object> report, Metrics test) {}

  private TrainRunner() {}

  public static Result run(Options o) throws IOException {
    Files.createDirectories(o.out());
    Map<String, Object> data = new LinkedHashMap<>();
    long t0 = System.nanoTime();
    SplitData split;
    if (o.split() != null) {
      split = SplitIO.read(o.split());
      data.put("source", o.split().toString());
    } else {
      Preprocessor.Result p = Preprocessor.run(o.ratings(), o.preprocess(), o.skipBadRows());
      split = p.split();
      SplitIO.write(o.out().resolve("split"), split);
      data.put("source", o.ratings().toString());
      data.put("ratings", p.stats().ratings());
      data.put("badRowsSkipped", p.stats().badRows());
      data.put("positives", p.stats().positives());
      data.put("users", p.stats().users());
      data.put("usersWithEnoughPositives", p.stats().keptUsers());
      data.put("heldOutUsersPerSplit", o.preprocess().heldOutUsers());
      data.put("splitSeed", o.preprocess().seed());
    }
    double preprocessSeconds = seconds(t0);
    data.put("items", split.numItems());
    data.put("trainUsers", split.train().rows());
    data.put("trainInteractions", split.train().nnz());
    data.put("validationUsers", split.valTr().rows());
    data.put("testUsers", split.testTr().rows());
    String fingerprint = split.fingerprint();
    data.put("fingerprint", fingerprint);
    LOG.info("data: {}", split.describe());

    TrainConfig cfg = o.train();
    long t1 = System.nanoTime();
    MultTrainer.Outcome outcome;
    Metrics test;
    Metrics validation;
    ModelType type = cfg.model();
    Path bundleDir = o.out().resolve("bundle");
    try (MultTrainer trainer = new MultTrainer(cfg, split.numItems(), o.device())) {
      outcome = trainer.fit(split, o.out().resolve("checkpoint"), o.listener());
      trainer.loadWeights(outcome.bestWeights());
      validation = trainer.evaluate(split.valTr(), split.valTe());
      test = trainer.evaluate(split.testTr(), split.testTe());
    }
    double trainSeconds = seconds(t1);

    long t2 = System.nanoTime();
    Metrics popTest = Evaluator.evaluate(split.testTr(), split.testTe(), new Popularity(split.train()), cfg.evalBatchSize());
    Metrics popVal = Evaluator.evaluate(split.valTr(), split.valTe(), new Popularity(split.train()), cfg.evalBatchSize());
    Map<String, Object> baselines = new LinkedHashMap<>();
    baselines.put("popularity", withValidation(popTest, popVal, null));
    double easeValBest = 0;
    if (!o.easeLambdas().isEmpty()) {
      Map<String, Object> ease = ease(split, o.easeLambdas(), o.device(), cfg.evalBatchSize());
      easeValBest = (double) ((Map<?, ?>) ease.get("validation")).get("ndcg@100");
      baselines.put("ease", ease);
    }
    double baselineSeconds = seconds(t2);

    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("test.ndcg@100", test.ndcg100());
    metrics.put("test.recall@20", test.recall20());
    metrics.put("test.recall@50", test.recall50());
    metrics.put("validation.ndcg@100", validation.ndcg100());
    writeBundle(bundleDir, split, cfg, fingerprint, metrics, outcome.bestWeights());

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("model", type.id());
    report.put("test", test.toMap());
    report.put("validation", validation.toMap());
    report.put("bestEpoch", outcome.bestEpoch());
    report.put("epochs", outcome.history().size());
    report.put("baselines", baselines);
    report.put("data", data);
    Map<String, Object> timings = new LinkedHashMap<>();
    timings.put("preprocessSeconds", preprocessSeconds);
    timings.put("trainSeconds", trainSeconds);
    timings.put("meanEpochSeconds", outcome.history().stream().mapToDouble(EpochStats::seconds).average().orElse(0));
    timings.put("baselineSeconds", baselineSeconds);
    timings.put("device", o.device().toString());
    report.put("timings", timings);
    report.put("config", cfg.toMap());
    report.put("bundle", bundleDir.toString());
    report.put("history", outcome.history());
    report.put("createdAt", Instant.now().toString());
    JSON.writeValue(o.out().resolve("report.json").toFile(), report);
    Files.writeString(o.out().resolve("report.md"), markdown(report, test, popTest, baselines));
    String title = "Mult-" + type.name() + " on " + split.numItems() + " items";
    Plots.losses(o.out().resolve("loss.png"), title + ": training loss", outcome.history());
    Plots.validation(o.out().resolve("validation.png"), title + ": validation NDCG@100", outcome.history(),
        outcome.bestEpoch(), popVal.ndcg100(), easeValBest);
    return new Result(bundleDir, report, test);
  }

  private static Map<String, Object> ease(SplitData split, List<Double> lambdas, Device device, int batch) {
    double bestLambda = lambdas.get(0);
    Metrics bestVal = null;
    List<Map<String, Object>> grid = new ArrayList<>();
    Metrics test = null;
    try (NDManager m = NDManager.newBaseManager(device)) {
      NDArray gram = Ease.gram(m, split.train());
      for (double lambda : lambdas) {
        try (Ease ease = Ease.fit(gram, lambda, device)) {
          Metrics val = Evaluator.evaluate(split.valTr(), split.valTe(), ease, batch);
          grid.add(Map.of("lambda", lambda, "validation.ndcg@100", val.ndcg100()));
          LOG.info("EASE λ={} validation NDCG@100 {}", lambda, String.format("%.4f", val.ndcg100()));
          if (bestVal == null || val.ndcg100() > bestVal.ndcg100()) {
            bestVal = val;
            bestLambda = lambda;
            test = Evaluator.evaluate(split.testTr(), split.testTe(), ease, batch);
          }
        }
      }
    }
    Map<String, Object> out = withValidation(test, bestVal, bestLambda);
    out.put("lambdaGrid", grid);
    return out;
  }

  private static Map<String, Object> withValidation(Metrics test, Metrics val, Double lambda) {
    Map<String, Object> m = new LinkedHashMap<>(test.toMap());
    m.put("validation", val.toMap());
    if (lambda != null) {
      m.put("lambda", lambda);
    }
    return m;
  }

  private static void writeBundle(
      Path dir, SplitData split, TrainConfig cfg, String fingerprint, Map<String, Object> metrics, Map<String, Tensor> weights)
      throws IOException {
    FileTrees.deleteRecursively(dir); // a re-run replaces the bundle of the previous one
    long[] counts = split.train().columnCounts();
    List<BundleManifest.PopularItem> popularity =
        IntStream.range(0, counts.length)
            .boxed()
            .sorted(Comparator.comparingLong((Integer i) -> -counts[i]).thenComparingInt(i -> i))
            .limit(1000)
            .map(i -> new BundleManifest.PopularItem(split.movieIds()[i], counts[i]))
            .toList();
    Map<String, Double> numeric = new LinkedHashMap<>();
    metrics.forEach((k, v) -> numeric.put(k, ((Number) v).doubleValue()));
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT_VERSION, cfg.model().id(), split.numItems(), cfg.hidden(), cfg.latent(), cfg.toMap(),
            fingerprint, numeric, popularity, Instant.now().toString(), null);
    ModelBundle.write(dir, manifest, new ItemVocabulary(split.movieIds()), weights);
  }

  private static String markdown(Map<String, Object> report, Metrics test, Metrics pop, Map<String, Object> baselines) {
    StringBuilder md = new StringBuilder();
    md.append("# Training report: Mult-").append(report.get("model").toString().toUpperCase()).append("\n\n");
    md.append("| model | NDCG@100 | Recall@20 | Recall@50 |\n|---|---|---|---|\n");
    md.append(row("Mult-" + report.get("model").toString().toUpperCase() + " (best epoch " + report.get("bestEpoch") + ")", test));
    md.append(row("popularity", pop));
    Object ease = baselines.get("ease");
    if (ease instanceof Map<?, ?> e) {
      md.append(String.format("| EASE (λ=%s) | %.4f | %.4f | %.4f |%n", e.get("lambda"), e.get("ndcg@100"), e.get("recall@20"), e.get("recall@50")));
    }
    md.append("\nTest users scored: ").append(test.users()).append(".\n\n## Data\n\n");
    ((Map<?, ?>) report.get("data")).forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    md.append("\n## Timings\n\n");
    ((Map<?, ?>) report.get("timings")).forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
    md.append("\n## Settings\n\n");
    ((Map<?, ?>) report.get("config")).forEach(
        (k, v) -> md.append("- ").append(k).append(": ").append(v instanceof int[] a ? java.util.Arrays.toString(a) : v).append('\n'));
    md.append("\n![loss](loss.png)\n\n![validation](validation.png)\n");
    return md.toString();
  }

  private static String row(String name, Metrics m) {
    return String.format("| %s | %.4f | %.4f | %.4f |%n", name, m.ndcg100(), m.recall20(), m.recall50());
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
