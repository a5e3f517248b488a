package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StolenTimeTest {

  @Test
  void findsTheWorstSecondAndTheSlowestListsSecond() {
    StolenTime t = new StolenTime();
    // 100 ms samples over 10 s, 20 ticks each (2 cores at 100 Hz); from 4.0 s to 5.0 s the host took half of them
    long steal = 0;
    for (int i = 0; i <= 100; i++) {
      long at = 10_000 + 100L * i;
      if (i > 40 && i <= 50) {
        steal += 10;
      }
      t.add(new StolenTime.Sample(at, steal, 20L * i, i == 70 ? 850 : 0));
    }
    String d = t.describe(10_000, 20_000, 14_000);
    assertThat(d).contains("5.0% of the cores stolen") // 100 of 2,000 ticks
        .contains("worst second 50.0%, at 1970-01-01T00:00:14Z")
        .contains("the slowest list's second 50.0%")
        .contains("at most 850 ms late");
    assertThat(t.describe(10_000, 20_000, 17_000)).contains("the slowest list's second 0.0%");
    assertThat(t.describe(30_000, 40_000, 35_000)).isEqualTo("machine: not sampled");
  }
}
