package dev.recsys.trainer.online;

import dev.recsys.contracts.ModelMetricsEvent.Scores;
import dev.recsys.contracts.ModelMetricsEvent.Tally;
import java.util.Arrays;
import java.util.Locale;

/**
 * The statistics behind {@code recsys model compare} and {@code model promote --if-better}: online
 * HitRate@K and mean gain ("NDCG") of a version with confidence intervals, and the paired
 * difference of a shadow against the live version on the very same events.
 *
 * <p>Every figure is a mean over events of a per-event value (a 0/1 hit, or a gain
 * 1/log2(rank + 1)), computed from the counts of a {@link Tally}: a hit rate gets a Wilson score
 * interval, a mean gain a normal interval; the difference of two hit rates on the same events the
 * paired-proportion interval from the discordant events (shadow hit, live missed: b; live hit,
 * shadow missed: c), and the difference of mean gains a normal interval from the sum of squared
 * per-event differences. Pairing removes the events both versions got right or wrong, which is
 * why it needs far fewer events than comparing two independent intervals.
 */
public final class OnlineComparison {

  /** What a figure is computed on. */
  public enum Metric {
    HITRATE_10("hitrate@10", "HitRate@10", 10),
    HITRATE_20("hitrate@20", "HitRate@20", 20),
    HITRATE_100("hitrate@100", "HitRate@100", 100),
    NDCG("ndcg", "NDCG", 0);

    private final String option;
    private final String label;
    private final int cutoff;

    Metric(String option, String label, int cutoff) {
      this.option = option;
      this.label = label;
      this.cutoff = cutoff;
    }

    /** As written on the command line: hitrate@10, hitrate@20, hitrate@100, ndcg. */
    public String option() {
      return option;
    }

    /** As printed: HitRate@10, ..., NDCG. */
    public String label() {
      return label;
    }

    /** The hit cutoff K; 0 for the mean gain. */
    public int cutoff() {
      return cutoff;
    }

    public static Metric parse(String s) {
      for (Metric m : values()) {
        if (m.option.equalsIgnoreCase(s.trim())) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "'" + s + "' is not a metric: one of " + Arrays.stream(values()).map(Metric::option).toList());
    }

    @Override
    public String toString() {
      return option;
    }
  }

  /** An estimate and its interval; NaN throughout when there are no events. */
  public record Interval(double estimate, double low, double high) {
    static final Interval NONE = new Interval(Double.NaN, Double.NaN, Double.NaN);

    public boolean defined() {
      return !Double.isNaN(estimate);
    }

    /** {@code 0.1234 [0.1100, 0.1370]}, signed for differences. */
    public String format(boolean signed) {
      if (!defined()) {
        return "-";
      }
      String f = signed ? "%+.4f" : "%.4f";
      return String.format(Locale.ROOT, f + " [" + f + ", " + f + "]", estimate, low, high);
    }
  }

  /** One metric of the comparison: each version on the paired events, and shadow - live. */
  public record Row(Metric metric, Interval live, Interval shadow, Interval difference) {}

  /** Whether the shadow may be promoted, and why (or why not). */
  public record Decision(boolean promote, String reason) {}

  private final long events;
  private final double confidence;
  private final double z;
  private final Tally total;

  private OnlineComparison(Tally total, double confidence) {
    if (total.baseline() == null || total.onlyHits() == null || total.onlyBaselineHits() == null || total.gainDiffSquares() == null) {
      throw new IllegalArgumentException("not a comparison tally: it needs baseline, onlyHits, onlyBaselineHits and gainDiffSquares");
    }
    this.total = total;
    this.events = total.events();
    this.confidence = confidence;
    this.z = z(confidence);
  }

  /** The comparison on a comparison record's counts (its {@code total}, or one {@code window}). */
  public static OnlineComparison of(Tally comparison, double confidence) {
    return new OnlineComparison(comparison, confidence);
  }

  /** Paired events behind every figure. */
  public long events() {
    return events;
  }

  public double confidence() {
    return confidence;
  }

  public Row row(Metric m) {
    Interval difference;
    if (m == Metric.NDCG) {
      difference = pairedMeanDifference(total.scores().gainSum(), total.baseline().gainSum(), total.gainDiffSquares(), events, z);
    } else {
      difference = pairedProportionDifference(total.onlyHits().hits(m.cutoff()), total.onlyBaselineHits().hits(m.cutoff()), events, z);
    }
    return new Row(m, estimate(total.baseline(), events, m, z), estimate(total.scores(), events, m, z), difference);
  }

  /**
   * Promote only when the lower bound of the difference's interval exceeds {@code margin}, on at
   * least {@code minEvents} paired events.
   */
  public Decision decide(Metric m, double margin, long minEvents) {
    String pct = percent(confidence);
    if (events < minEvents) {
      return new Decision(false, String.format(Locale.ROOT, "only %,d paired events, fewer than the %,d required (--min-events)", events, minEvents));
    }
    Interval d = row(m).difference();
    String figure = String.format(Locale.ROOT, "%s shadow - live = %s (%s interval) on %,d paired events", m.label(), d.format(true), pct, events);
    if (d.low() > margin) {
      return new Decision(true, String.format(Locale.ROOT, "%s: its lower bound %+.4f exceeds the margin %+.4f", figure, d.low(), margin));
    }
    String why = d.high() <= margin ? "the shadow is not better by the margin" : "inconclusive: the interval straddles the margin";
    return new Decision(false, String.format(Locale.ROOT, "%s: its lower bound %+.4f does not exceed the margin %+.4f (%s)", figure, d.low(), margin, why));
  }

  /** A version's figure on its own counts: a Wilson interval for a hit rate, a normal one for the mean gain. */
  public static Interval estimate(Scores s, long events, Metric m, double z) {
    return m == Metric.NDCG ? mean(s.gainSum(), s.gainSquares(), events, z) : wilson(s.hits(m.cutoff()), events, z);
  }

  /**
   * Wilson score interval of a proportion hits/n: unlike the normal approximation it stays inside
   * [0, 1] and keeps its coverage at rates near 0, where hit rates at 10 live.
   */
  public static Interval wilson(long hits, long n, double z) {
    if (n <= 0) {
      return Interval.NONE;
    }
    double p = (double) hits / n;
    double z2n = z * z / n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / n + z2n / (4.0 * n));
    return new Interval(p, Math.max(0, centre - half), Math.min(1, centre + half));
  }

  /** Normal interval of a mean from the sum and sum of squares of n values (sample variance). */
  public static Interval mean(double sum, double squares, long n, double z) {
    if (n <= 0) {
      return Interval.NONE;
    }
    double mean = sum / n;
    double half = n < 2 ? Double.NaN : z * Math.sqrt(sampleVariance(sum, squares, n) / n); // one value has no variance
    return new Interval(mean, mean - half, mean + half);
  }

  /**
   * Paired difference of two proportions on the same n events, from the discordant counts: b
   * events only the first got right, c only the second. The per-event difference is +1 (b times),
   * -1 (c times) or 0, so the difference is (b - c)/n with variance (b + c - (b - c)^2/n)/n^2.
   */
  public static Interval pairedProportionDifference(long b, long c, long n, double z) {
    if (n <= 0) {
      return Interval.NONE;
    }
    double diff = (double) (b - c) / n;
    double var = Math.max(0, (b + c - (double) (b - c) * (b - c) / n)) / ((double) n * n);
    double half = z * Math.sqrt(var);
    return new Interval(diff, diff - half, diff + half);
  }

  /**
   * Paired difference of two means on the same n events, from each one's sum and the sum of the
   * squared per-event differences.
   */
  public static Interval pairedMeanDifference(double sumA, double sumB, double diffSquares, long n, double z) {
    return mean(sumA - sumB, diffSquares, n, z);
  }

  private static double sampleVariance(double sum, double squares, long n) {
    return Math.max(0, (squares - sum * sum / n) / (n - 1)); // rounding must not make it negative
  }

  /** The two-sided normal quantile of a confidence level: 1.959964 for 0.95. */
  public static double z(double confidence) {
    if (!(confidence > 0 && confidence < 1)) {
      throw new IllegalArgumentException("a confidence level lies strictly between 0 and 1, not " + confidence);
    }
    return normalQuantile(1 - (1 - confidence) / 2);
  }

  /**
   * The standard normal quantile, by P. J. Acklam's rational approximation (relative error below
   * 1.15e-9 on (0, 1)): a central rational function in p - 0.5, and one in sqrt(-2 ln p) for
   * each tail.
   */
  public static double normalQuantile(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("the normal quantile is defined on (0, 1), not at " + p);
    }
    final double pLow = 0.02425;
    if (p < pLow) {
      return tail(Math.sqrt(-2 * Math.log(p)));
    }
    if (p > 1 - pLow) {
      return -tail(Math.sqrt(-2 * Math.log1p(-p)));
    }
    double q = p - 0.5;
    double r = q * q;
    double num = (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
        + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q;
    double den = ((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
        + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1;
    return num / den;
  }

  /** The lower tail's rational function of q = sqrt(-2 ln p). */
  private static double tail(double q) {
    double num = ((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
        - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00;
    double den = (((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
        + 3.754408661907416e+00) * q + 1;
    return num / den;
  }

  /** 0.95 as "95%", 0.999 as "99.9%". */
  public static String percent(double confidence) {
    return java.math.BigDecimal.valueOf(confidence).movePointRight(2).stripTrailingZeros().toPlainString() + "%";
  }
}
