package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BatchWaitTest {

  private static final long MS = 1_000_000;
  private static final long S = 1_000 * MS;
  private static final long T0 = 5_000 * S;

  @Test
  void idleScorersWaitTheBatchTimeout() {
    BatchWait w = new BatchWait(10 * MS, 100 * MS, 2, T0);
    assertThat(w.waitNanos(T0 + 10 * S)).isEqualTo(10 * MS);
  }

  @Test
  void theWaitGrowsInStepWithTheAveragedBusyShare() {
    BatchWait w = new BatchWait(10 * MS, 100 * MS, 2, T0);
    w.scoring(2, T0);
    // both busy for one time constant: 1 - 1/e = 0.632 busy, (0.632 - 0.5) / 0.4 = 0.330 of the way
    assertThat(w.busy(T0 + S)).isCloseTo(0.6321206, within(1e-6));
    assertThat(w.waitNanos(T0 + S)).isCloseTo(39_727_126L, within(2L));
    assertThat(w.waitNanos(T0 + 3 * S)).as("0.95 busy: beyond 90%, the longest").isEqualTo(100 * MS);
    w.scoring(1, T0 + 3 * S);
    // half busy from a 0.950 average for 1 s: 0.5 + 0.450 / e = 0.666
    assertThat(w.busy(T0 + 4 * S)).isCloseTo(0.5 + (0.5 - Math.exp(-3)) / Math.E, within(1e-9)).isCloseTo(0.666, within(0.001));
    w.scoring(0, T0 + 4 * S);
    assertThat(w.waitNanos(T0 + 5 * S)).as("idle for a second: 0.245 busy").isEqualTo(10 * MS);
  }

  @Test
  void oneOfTwoScorersAlwaysBusyIsHalfBusyAndWaitsTheShortest() {
    BatchWait w = new BatchWait(10 * MS, 100 * MS, 2, T0);
    w.scoring(1, T0);
    assertThat(w.busy(T0 + 60 * S)).isCloseTo(0.5, within(1e-9));
    assertThat(w.waitNanos(T0 + 60 * S)).isEqualTo(10 * MS);
  }

  @Test
  void aMaximumBelowTheTimeoutMeansAFixedWait() {
    BatchWait w = new BatchWait(20 * MS, 0, 1, T0);
    w.scoring(1, T0);
    assertThat(w.waitNanos(T0 + 10 * S)).isEqualTo(20 * MS);
  }
}
