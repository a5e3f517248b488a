package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MachinePressureTest {

  @Test
  void findsTheWorstSecondsAndTheSlowestListsSecond() {
    MachinePressure m = new MachinePressure();
    // 100 ms samples over 10 s, 20 ticks each (2 cores at 100 Hz); from 14.0 s to 15.0 s the host
    // took half of them, and from 17.0 s to 17.5 s some task waited for I/O all the time
    long steal = 0;
    long io = 0;
    for (int i = 0; i <= 100; i++) {
      if (i > 40 && i <= 50) {
        steal += 10;
      }
      if (i > 70 && i <= 75) {
        io += 100_000;
      }
      m.add(new MachinePressure.Sample(10_000 + 100L * i, steal, 20L * i, io, i == 70 ? 850 : 0));
    }
    String d = m.describe(10_000, 20_000, 14_000);
    assertThat(d).contains("cores stolen by the host 5.0% (worst second 50.0% at 1970-01-01T00:00:14Z, the slowest list's 50.0%)") // 100 of 2,000 ticks
        .contains("waiting for I/O 5.0% of the time (worst second 50.0% at 1970-01-01T00:00:16.500Z, the slowest list's 0.0%)") // 0.5 of 10 s
        .contains("at most 850 ms late");
    assertThat(m.describe(10_000, 20_000, 17_000)).contains("the slowest list's 0.0%); some").contains("the slowest list's 50.0%); the 100 ms");
    assertThat(m.describe(30_000, 40_000, 35_000)).isEqualTo("machine: not sampled");
  }
}
