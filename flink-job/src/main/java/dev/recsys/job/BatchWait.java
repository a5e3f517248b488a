package dev.recsys.job;

/**
 * How long a free scorer waits for a fuller batch: {@code batch.timeout} while the scorers are
 * mostly idle, up to {@code batch.max-timeout} while they are busy.
 *
 * <p>Busy is the share of the scoring threads that were scoring, averaged over about the last
 * second (an exponential average). Up to half busy the wait is the shortest; from there it grows in
 * step until, at 90% busy, it is the longest. A forward pass streams the whole output layer
 * whatever the batch holds, so a small batch costs several times more per user than a full one: at
 * a light load that is spare capacity, and the shortest wait keeps lists fast; at a heavy load
 * short waits keep the batches small and the cores full of that overhead, and longer waits buy the
 * capacity back. The average moves as the batches grow, so the wait settles where the scorers are
 * busy enough to need it.
 *
 * <p>Used under the {@link ScoringQueue}'s lock.
 */
final class BatchWait {

  /** The average's time constant. */
  static final long SMOOTHING_NANOS = 1_000_000_000L;
  /** Busy shares where the wait starts to grow, and where it is the longest. */
  static final double CALM = 0.5, BUSY = 0.9;

  private final long minNanos;
  private final long maxNanos;
  private final int scorers;
  private int scoring;
  private long sinceNanos;
  private double busy;

  /** @param minNanos {@code batch.timeout}; a {@code maxNanos} below it means the same */
  BatchWait(long minNanos, long maxNanos, int scorers, long nowNanos) {
    this.minNanos = minNanos;
    this.maxNanos = Math.max(minNanos, maxNanos);
    this.scorers = scorers;
    this.sinceNanos = nowNanos;
  }

  /** From {@code nowNanos} on, {@code n} scorers are scoring. */
  void scoring(int n, long nowNanos) {
    advance(nowNanos);
    scoring = n;
  }

  /** The busy share, averaged up to {@code nowNanos}. */
  double busy(long nowNanos) {
    advance(nowNanos);
    return busy;
  }

  /** The wait for a batch decided at {@code nowNanos}. */
  long waitNanos(long nowNanos) {
    double grown = Math.min(1, Math.max(0, (busy(nowNanos) - CALM) / (BUSY - CALM)));
    return minNanos + Math.round((maxNanos - minNanos) * grown);
  }

  private void advance(long nowNanos) {
    long dt = nowNanos - sinceNanos;
    if (dt <= 0) {
      return;
    }
    double keep = Math.exp(-(double) dt / SMOOTHING_NANOS);
    busy = busy * keep + (double) scoring / scorers * (1 - keep);
    sinceNanos = nowNanos;
  }
}
