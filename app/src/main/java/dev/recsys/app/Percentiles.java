package dev.recsys.app;

/** Nearest-rank percentiles of sorted samples. */
public final class Percentiles {

  private Percentiles() {}

  public static long of(long[] sorted, int p) {
    return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}
