package dev.recsys.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How well a model version predicted what users rated next, on live traffic;
 * {@code schemas/model-metrics-event.schema.json}. Topic {@code model-metrics}, keyed by model name.
 *
 * <p>An <b>event</b> is a positive rating of a movie the user had not rated, by a user who had
 * received a list from the version before. It is a hit at K when the movie was in the top K of
 * that list; its gain is 1/log2(rank + 1), 0 when the movie was not in the list. The job emits a
 * record per tumbling window (processing time) and key; {@code total} counts from the version's
 * first event, across restarts.
 *
 * <ul>
 *   <li>{@code kind = "version"}: one version in one role ({@code live} or {@code shadow}) on the
 *       events it saw; the scoring cost of the users it scored.
 *   <li>{@code kind = "comparison"}: a shadow version ({@code modelVersion}) against the live
 *       version ({@code baselineVersion}) on the very same events, with the paired counts that
 *       confidence intervals of the difference need.
 * </ul>
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelMetricsEvent(
    String kind,
    String modelName,
    int modelVersion,
    String role,
    Integer baselineVersion,
    long windowStart,
    long windowEnd,
    Tally window,
    Tally total,
    long emittedAt) {

  public static final String VERSION = "version";
  public static final String COMPARISON = "comparison";
  public static final String LIVE = "live";
  public static final String SHADOW = "shadow";

  /** The list lengths at which hits are counted. */
  public static final int[] CUTOFFS = {10, 20, 100};

  /** Hits at each cutoff, and the sum and sum of squares of the gains (for means and their variance). */
  public record Scores(long hits10, long hits20, long hits100, double gainSum, double gainSquares) {
    public long hits(int k) {
      return switch (k) {
        case 10 -> hits10;
        case 20 -> hits20;
        case 100 -> hits100;
        default -> throw new IllegalArgumentException("hits are counted at 10, 20 and 100, not " + k);
      };
    }
  }

  /**
   * Counts over a window or the total.
   *
   * @param scores the version's
   * @param baseline comparison only: the live version's on the same events
   * @param onlyHits comparison only: events the shadow hit and the live version missed, per cutoff
   * @param onlyBaselineHits comparison only: events the live version hit and the shadow missed
   * @param gainDiffSquares comparison only: sum of (shadow gain - live gain)^2
   * @param scoredUsers version only: users scored
   * @param scoringMillis version only: time spent in its forward passes and top-K
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Tally(
      long events,
      Scores scores,
      Scores baseline,
      Scores onlyHits,
      Scores onlyBaselineHits,
      Double gainDiffSquares,
      Long scoredUsers,
      Double scoringMillis) {}
}
