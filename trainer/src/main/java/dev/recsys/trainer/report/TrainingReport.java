package dev.recsys.trainer.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.train.EpochStats;
import dev.recsys.trainer.train.TrainConfig;
import java.util.List;

/**
 * What one training run produced: {@code report.json} is this record as Jackson writes it, and
 * {@code report.md} is {@link #markdown()}.
 *
 * @param model {@code vae} or {@code dae}
 * @param test the best epoch's weights on the test users
 * @param validation the best epoch's weights on the validation users
 * @param bestEpoch the epoch whose weights the bundle holds (1-based)
 * @param epochs epochs trained
 * @param baselines the baselines on the same users
 * @param data where the split came from and its size
 * @param timings wall times of the phases
 * @param config the training settings
 * @param bundle the bundle directory
 * @param history one entry per epoch
 * @param createdAt ISO-8601 instant
 */
public record TrainingReport(
    String model,
    Metrics test,
    Metrics validation,
    int bestEpoch,
    int epochs,
    Baselines baselines,
    DataSummary data,
    Timings timings,
    TrainConfig.Hyperparameters config,
    String bundle,
    List<EpochStats> history,
    String createdAt) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @param popularity items ranked by training popularity
   * @param ease EASE with the validation-tuned λ; absent when the run skipped it
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Baselines(Baseline popularity, Baseline ease) {}

  /**
   * A baseline's test metrics (flat, like the model's {@code test}), its validation metrics and,
   * for a tuned baseline, the λ chosen and the grid it was chosen from.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Baseline(
      @JsonProperty("ndcg@100") double ndcg100,
      @JsonProperty("recall@20") double recall20,
      @JsonProperty("recall@50") double recall50,
      @JsonProperty(value = "heldOutRecall@10", required = true) double heldOutRecall10,
      @JsonProperty(value = "heldOutRecall@20", required = true) double heldOutRecall20,
      @JsonProperty(value = "heldOutRecall@100", required = true) double heldOutRecall100,
      int users,
      Metrics validation,
      Double lambda,
      List<LambdaScore> lambdaGrid) {

    public static Baseline untuned(Metrics test, Metrics validation) {
      return new Baseline(test.ndcg100(), test.recall20(), test.recall50(), test.heldOutRecall10(), test.heldOutRecall20(),
          test.heldOutRecall100(), test.users(), validation, null, null);
    }

    public static Baseline tuned(Metrics test, Metrics validation, double lambda, List<LambdaScore> grid) {
      return new Baseline(test.ndcg100(), test.recall20(), test.recall50(), test.heldOutRecall10(), test.heldOutRecall20(),
          test.heldOutRecall100(), test.users(), validation, lambda, List.copyOf(grid));
    }

    @JsonIgnore
    public Metrics test() {
      return new Metrics(ndcg100, recall20, recall50, heldOutRecall10, heldOutRecall20, heldOutRecall100, users);
    }
  }

  /** One point of a λ grid. */
  public record LambdaScore(double lambda, @JsonProperty("validation.ndcg@100") double validationNdcg100) {}

  /**
   * The split's source and size. The preprocessing counts are present only when the run split raw
   * ratings itself.
   *
   * @param source the ratings file or split directory read
   * @param ratings rows read
   * @param badRowsSkipped malformed rows skipped
   * @param positives ratings above the positive threshold
   * @param users distinct users
   * @param usersWithEnoughPositives users the split kept
   * @param heldOutUsersPerSplit validation users, and as many test users
   * @param splitSeed the seed of the user shuffle and 80/20 split
   * @param items the vocabulary size
   * @param trainUsers training users
   * @param trainInteractions training positives
   * @param validationUsers validation users
   * @param testUsers test users
   * @param fingerprint {@link SplitData#fingerprint()}
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DataSummary(
      String source,
      Long ratings,
      Long badRowsSkipped,
      Long positives,
      Integer users,
      Integer usersWithEnoughPositives,
      Integer heldOutUsersPerSplit,
      Long splitSeed,
      int items,
      int trainUsers,
      long trainInteractions,
      int validationUsers,
      int testUsers,
      String fingerprint) {

    /** A split read as it is. */
    public static DataSummary of(String source, SplitData split) {
      return new DataSummary(source, null, null, null, null, null, null, null, split.numItems(), split.train().rows(),
          split.train().nnz(), split.valTr().rows(), split.testTr().rows(), split.fingerprint());
    }

    /** A split the run made from raw ratings. */
    public static DataSummary of(String source, Preprocessor.Result p, Preprocessor.Options o) {
      SplitData split = p.split();
      Preprocessor.Stats s = p.stats();
      return new DataSummary(source, s.ratings(), s.badRows(), s.positives(), s.users(), s.keptUsers(), o.heldOutUsers(),
          o.seed(), split.numItems(), split.train().rows(), split.train().nnz(), split.valTr().rows(), split.testTr().rows(),
          split.fingerprint());
    }
  }

  /**
   * @param preprocessSeconds reading (and splitting) the data
   * @param trainSeconds training and evaluating the model
   * @param meanEpochSeconds an epoch's training, without validation
   * @param baselineSeconds fitting and evaluating the baselines
   * @param device where the model trained
   */
  public record Timings(double preprocessSeconds, double trainSeconds, double meanEpochSeconds, double baselineSeconds, String device) {}

  /**
   * report.md: the results table (the paper's metrics, then heldOutRecall@K, what the job's online
   * HitRate@K estimates), then the data, timings and settings as report.json lists them.
   */
  public String markdown() {
    String name = "Mult-" + model.toUpperCase();
    StringBuilder md = new StringBuilder();
    md.append("# Training report: ").append(name).append("\n\n");
    md.append("| model | NDCG@100 | Recall@20 | Recall@50 | heldOutRecall@10 | heldOutRecall@20 | heldOutRecall@100 |\n"
        + "|---|---|---|---|---|---|---|\n");
    md.append(row(name + " (best epoch " + bestEpoch + ")", test));
    md.append(row("popularity", baselines.popularity().test()));
    if (baselines.ease() != null) {
      md.append(row("EASE (λ=" + baselines.ease().lambda() + ")", baselines.ease().test()));
    }
    md.append("\nTest users scored: ").append(test.users()).append(". heldOutRecall@K is the share of a user's held-out items in ")
        .append("the top K (the paper's Recall@K divides by min(K, held-out) instead; the two agree for users with at most K ")
        .append("held-out items), averaged over users: the rate at which one held-out item drawn at random is in the top K, ")
        .append("which the job's online HitRate@K estimates.\n\n## Data\n\n");
    list(md, data);
    md.append("\n## Timings\n\n");
    list(md, timings);
    md.append("\n## Settings\n\n");
    list(md, config);
    md.append("\n![loss](loss.png)\n\n![validation](validation.png)\n");
    return md.toString();
  }

  private static String row(String name, Metrics m) {
    return String.format("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |%n", name, m.ndcg100(), m.recall20(), m.recall50(),
        m.heldOutRecall10(), m.heldOutRecall20(), m.heldOutRecall100());
  }

  /** One line per field, through the JSON form, so report.md names what report.json names. */
  private static void list(StringBuilder md, Object section) {
    JSON.valueToTree(section).properties().forEach(e -> {
      JsonNode v = e.getValue();
      md.append("- ").append(e.getKey()).append(": ").append(v.isValueNode() ? v.asText() : v.toString()).append('\n');
    });
  }
}
