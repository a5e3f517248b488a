package dev.recsys.trainer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.FileTrees;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import dev.recsys.trainer.eval.Ease;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.eval.Popularity;
import dev.recsys.trainer.report.Plots;
import dev.recsys.trainer.report.TrainingReport;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.EpochStats;
import dev.recsys.trainer.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One training run, end to end, around {@link AutoencoderTrainer}'s training loop; {@link
 * dev.recsys.trainer.cli.TrainCommand} is its command line. The phases, one method each: split
 * (read one, or make one from ratings), train (with validation every epoch), evaluate (the best
 * epoch's weights), baselines (popularity and EASE), bundle, and report ({@link TrainingReport}
 * as {@code report.json} and {@code report.md}, and the plots).
 *
 * <p>Output layout: {@code split/} (the reference layout), {@code checkpoint/}, {@code bundle/},
 * {@code report.json}, {@code report.md}, {@code loss.png}, {@code validation.png}.
 */
public final class TrainingPipeline {

  private static final Logger LOG = LoggerFactory.getLogger(TrainingPipeline.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How many of the most popular items a bundle keeps for its fallback. */
  public static final int POPULAR_ITEMS = 1000;

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
      AutoencoderTrainer.Listener listener) {}

  /** The run's result; {@code report} is what report.json holds. */
  public record Result(Path bundle, TrainingReport report) {}

  /** The trained model's history and best weights, and how those weights do. */
  private record Trained(AutoencoderTrainer.Outcome outcome, Metrics validation, Metrics test) {}

  /** The split and its summary for the report. */
  private record Data(SplitData split, TrainingReport.DataSummary summary) {}

  private TrainingPipeline() {}

  public static Result run(Options o) throws IOException {
    Files.createDirectories(o.out());
    long t0 = System.nanoTime();
    Data data = split(o);
    double preprocessSeconds = seconds(t0);
    LOG.info("data: {}", data.split().describe());

    long t1 = System.nanoTime();
    Trained trained = train(o, data.split());
    double trainSeconds = seconds(t1);

    long t2 = System.nanoTime();
    TrainingReport.Baselines baselines = baselines(data.split(), o.easeLambdas(), o.device(), o.train().evalBatchSize());
    double baselineSeconds = seconds(t2);

    Path bundleDir = o.out().resolve("bundle");
    writeBundle(bundleDir, data, o.train(), trained);

    List<EpochStats> history = trained.outcome().history();
    TrainingReport.Timings timings =
        new TrainingReport.Timings(
            preprocessSeconds, trainSeconds, history.stream().mapToDouble(EpochStats::seconds).average().orElse(0),
            baselineSeconds, o.device().toString());
    TrainingReport report =
        new TrainingReport(
            o.train().model().id(), trained.test(), trained.validation(), trained.outcome().bestEpoch(), history.size(),
            baselines, data.summary(), timings, o.train().hyperparameters(), bundleDir.toString(), history,
            Instant.now().toString());
    writeReport(o.out(), report);
    return new Result(bundleDir, report);
  }

  /** Reads the split, or makes it from the ratings and keeps it in {@code out/split}. */
  private static Data split(Options o) throws IOException {
    if (o.split() != null) {
      SplitData split = SplitIO.read(o.split());
      return new Data(split, TrainingReport.DataSummary.of(o.split().toString(), split));
    }
    Preprocessor.Result p = Preprocessor.run(o.ratings(), o.preprocess(), o.skipBadRows());
    SplitIO.write(o.out().resolve("split"), p.split());
    return new Data(p.split(), TrainingReport.DataSummary.of(o.ratings().toString(), p, o.preprocess()));
  }

  /** Trains (resuming from {@code out/checkpoint} if it can) and evaluates the best epoch's weights. */
  private static Trained train(Options o, SplitData split) throws IOException {
    try (AutoencoderTrainer trainer = new AutoencoderTrainer(o.train(), split.numItems(), o.device())) {
      AutoencoderTrainer.Outcome outcome = trainer.fit(split, o.out().resolve("checkpoint"), o.listener());
      return evaluate(trainer, outcome, split);
    }
  }

  private static Trained evaluate(AutoencoderTrainer trainer, AutoencoderTrainer.Outcome outcome, SplitData split) {
    trainer.loadWeights(outcome.bestWeights());
    Metrics validation = trainer.evaluate(split.valTr(), split.valTe());
    Metrics test = trainer.evaluate(split.testTr(), split.testTe());
    return new Trained(outcome, validation, test);
  }

  /** Popularity, and EASE unless {@code easeLambdas} is empty. */
  private static TrainingReport.Baselines baselines(SplitData split, List<Double> easeLambdas, Device device, int batch) {
    Popularity popularity = new Popularity(split.train());
    TrainingReport.Baseline pop =
        TrainingReport.Baseline.untuned(
            Evaluator.evaluate(split.testTr(), split.testTe(), popularity, batch),
            Evaluator.evaluate(split.valTr(), split.valTe(), popularity, batch));
    return new TrainingReport.Baselines(pop, easeLambdas.isEmpty() ? null : ease(split, easeLambdas, device, batch));
  }

  /** EASE with the λ of the grid that does best on validation NDCG@100. */
  private static TrainingReport.Baseline ease(SplitData split, List<Double> lambdas, Device device, int batch) {
    double bestLambda = lambdas.get(0);
    Metrics bestVal = null;
    Metrics test = null;
    List<TrainingReport.LambdaScore> grid = new ArrayList<>();
    try (NDManager m = NDManager.newBaseManager(device)) {
      NDArray gram = Ease.gram(m, split.train());
      for (double lambda : lambdas) {
        try (Ease ease = Ease.fit(gram, lambda, device)) {
          Metrics val = Evaluator.evaluate(split.valTr(), split.valTe(), ease, batch);
          grid.add(new TrainingReport.LambdaScore(lambda, val.ndcg100()));
          LOG.info("EASE λ={} validation NDCG@100 {}", lambda, String.format("%.4f", val.ndcg100()));
          if (bestVal == null || val.ndcg100() > bestVal.ndcg100()) {
            bestVal = val;
            bestLambda = lambda;
            test = Evaluator.evaluate(split.testTr(), split.testTe(), ease, batch);
          }
        }
      }
    }
    return TrainingReport.Baseline.tuned(test, bestVal, bestLambda, grid);
  }

  private static void writeBundle(Path dir, Data data, TrainConfig cfg, Trained trained) throws IOException {
    FileTrees.deleteRecursively(dir); // a re-run replaces the bundle of the previous one
    SplitData split = data.split();
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("test.ndcg@100", trained.test().ndcg100());
    metrics.put("test.recall@20", trained.test().recall20());
    metrics.put("test.recall@50", trained.test().recall50());
    metrics.put("test.heldOutRecall@10", trained.test().heldOutRecall10());
    metrics.put("test.heldOutRecall@20", trained.test().heldOutRecall20());
    metrics.put("test.heldOutRecall@100", trained.test().heldOutRecall100());
    metrics.put("validation.ndcg@100", trained.validation().ndcg100());
    Map<String, Object> hyperParameters = JSON.convertValue(cfg.hyperparameters(), new TypeReference<LinkedHashMap<String, Object>>() {});
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT_VERSION, cfg.model().id(), split.numItems(), cfg.hidden(), cfg.latent(), hyperParameters,
            data.summary().fingerprint(), metrics, split.popularity(POPULAR_ITEMS), Instant.now().toString(), null);
    ModelBundle.write(dir, manifest, new ItemVocabulary(split.movieIds()), trained.outcome().bestWeights());
  }

  /** report.json, report.md and the two plots. */
  private static void writeReport(Path out, TrainingReport report) throws IOException {
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve("report.json").toFile(), report);
    Files.writeString(out.resolve("report.md"), report.markdown());
    String title = "Mult-" + report.model().toUpperCase() + " on " + report.data().items() + " items";
    Plots.losses(out.resolve("loss.png"), title + ": training loss", report.history());
    TrainingReport.Baseline ease = report.baselines().ease();
    Plots.validation(out.resolve("validation.png"), title + ": validation NDCG@100", report.history(), report.bestEpoch(),
        report.baselines().popularity().validation().ndcg100(), ease == null ? 0 : ease.validation().ndcg100());
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
