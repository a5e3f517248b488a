package dev.recsys.job;

import java.util.Arrays;

/**
 * How long a user may wait in the {@link ScoringQueue} for a fuller batch, decided as they join
 * it: {@code batch.timeout} while the job keeps up, up to {@code batch.max-timeout} while it falls
 * behind.
 *
 * <p>Behind means that ratings reach the operator later than usual: a rating's delay since its
 * Kafka timestamp, less the least delay of the last few minutes (which absorbs a producer whose
 * clock is off, and the source's usual fetch wait). A user who arrives that much late may wait
 * half as long again. Larger batches cost less per user (each forward pass streams the whole
 * output layer once), so a job that is behind catches up sooner, while one that keeps up adds only
 * {@code batch.timeout} to a list. A fixed short wait instead lets a loaded job settle into small
 * batches that cost too much to ever catch up.
 *
 * <p>Used on the task thread only.
 */
final class BatchWait {

  /** The least delay is kept per bucket of this long, over {@link #BUCKETS} buckets. */
  static final long BUCKET_MS = 30_000;

  static final int BUCKETS = 10;

  private final long minNanos;
  private final long maxNanos;
  private final long[] least = new long[BUCKETS];
  private long bucket = Long.MIN_VALUE;
  private long leastOfOthers = Long.MAX_VALUE;

  /** @param minNanos the wait of a user who is not late ({@code batch.timeout}); {@code maxNanos} below it means the same */
  BatchWait(long minNanos, long maxNanos) {
    this.minNanos = minNanos;
    this.maxNanos = Math.max(minNanos, maxNanos);
    Arrays.fill(least, Long.MAX_VALUE);
  }

  /**
   * The wait of a user whose rating, stamped {@code publishedAtMillis} by Kafka, reaches the
   * operator at {@code nowMillis}; the rating's delay joins the least delays.
   */
  long waitNanos(long nowMillis, long publishedAtMillis) {
    long delay = nowMillis - publishedAtMillis;
    roll(Math.floorDiv(nowMillis, BUCKET_MS));
    int i = (int) Math.floorMod(bucket, BUCKETS);
    least[i] = Math.min(least[i], delay);
    long lateMillis = delay - Math.min(leastOfOthers, least[i]);
    return Math.min(maxNanos, Math.max(minNanos, lateMillis * 1_000_000 / 2));
  }

  /** Moves to bucket {@code b}, forgetting the buckets that fell out of the window. */
  private void roll(long b) {
    if (b == bucket) {
      return;
    }
    if (bucket == Long.MIN_VALUE || b - bucket >= BUCKETS || b < bucket) {
      Arrays.fill(least, Long.MAX_VALUE); // first use, a long pause, or the clock went back
    } else {
      for (long j = bucket + 1; j <= b; j++) {
        least[(int) Math.floorMod(j, BUCKETS)] = Long.MAX_VALUE;
      }
    }
    bucket = b;
    int current = (int) Math.floorMod(b, BUCKETS);
    leastOfOthers = Long.MAX_VALUE;
    for (int j = 0; j < BUCKETS; j++) {
      if (j != current) {
        leastOfOthers = Math.min(leastOfOthers, least[j]);
      }
    }
  }
}
