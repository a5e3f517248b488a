package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchWaitTest {

  private static final long MS = 1_000_000;
  private static final long T0 = 1_800_000_000_000L;

  private static BatchWait tenTo100() {
    return new BatchWait(10 * MS, 100 * MS);
  }

  @Test
  void aUserWhoIsNotLateWaitsTheBatchTimeout() {
    BatchWait w = tenTo100();
    assertThat(w.waitNanos(T0 + 5, T0)).as("the first delay is the least").isEqualTo(10 * MS);
    assertThat(w.waitNanos(T0 + 1_000, T0 + 990)).as("5 ms late: half of it is below the timeout").isEqualTo(10 * MS);
    assertThat(w.waitNanos(T0 + 2_000, T0 + 1_998)).as("earlier than usual").isEqualTo(10 * MS);
  }

  @Test
  void aLateUserMayWaitHalfTheLatenessUpToTheMaximum() {
    BatchWait w = tenTo100();
    w.waitNanos(T0 + 5, T0); // the least delay: 5 ms
    assertThat(w.waitNanos(T0 + 1_045, T0 + 1_000)).as("40 ms late").isEqualTo(20 * MS);
    assertThat(w.waitNanos(T0 + 2_155, T0 + 2_000)).as("150 ms late").isEqualTo(75 * MS);
    assertThat(w.waitNanos(T0 + 3_905, T0 + 3_000)).as("900 ms late: the maximum").isEqualTo(100 * MS);
    assertThat(w.waitNanos(T0 + 4_008, T0 + 4_000)).as("caught up").isEqualTo(10 * MS);
  }

  @Test
  void aProducerWhoseClockIsOffGetsTheSameWaits() {
    long[] delays = {5, 3, 45, 160, 400, 7, 90};
    for (long offset : new long[] {-2_000, 0, 60_000}) { // publishedAt ahead of the job's clock, exact, behind
      BatchWait w = tenTo100();
      long[] waits = new long[delays.length];
      for (int i = 0; i < delays.length; i++) {
        long now = T0 + i * 1_000L;
        waits[i] = w.waitNanos(now, now - delays[i] + offset) / MS;
      }
      assertThat(waits).as("offset %d ms", offset).containsExactly(10, 10, 21, 78, 100, 10, 43);
    }
  }

  @Test
  void theLeastDelayIsForgottenAfterTheWindow() {
    BatchWait w = tenTo100();
    w.waitNanos(T0, T0 - 5);
    long minute = 60_000;
    assertThat(w.waitNanos(T0 + minute, T0 + minute - 205)).as("200 ms later than the 5 ms a minute ago").isEqualTo(100 * MS);
    long window = BatchWait.BUCKETS * BatchWait.BUCKET_MS;
    long later = T0 + window + BatchWait.BUCKET_MS;
    assertThat(w.waitNanos(later, later - 205)).as("the 5 ms left the window; 205 ms is the usual delay now").isEqualTo(10 * MS);
    long afterPause = later + 2 * window;
    assertThat(w.waitNanos(afterPause, afterPause - 1_000)).as("a long pause forgets everything").isEqualTo(10 * MS);
    assertThat(w.waitNanos(afterPause + 10, afterPause + 10 - 1_060)).isEqualTo(30 * MS);
  }

  @Test
  void aMaximumBelowTheTimeoutMeansAFixedWait() {
    BatchWait w = new BatchWait(20 * MS, 0);
    w.waitNanos(T0 + 5, T0);
    assertThat(w.waitNanos(T0 + 10_000, T0)).isEqualTo(20 * MS);
  }
}
