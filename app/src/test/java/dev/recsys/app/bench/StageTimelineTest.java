package dev.recsys.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageTimelineTest {

  @Test
  void namesTheStagesThatTookMoreThanTheirAverageInEachWorstSecond() {
    StageTimeline t = new StageTimeline();
    // 20 s at 0.8 cores of scoring and 0.1 of JIT, except from 10 s to 12 s, when the JIT took a
    // whole core and scoring half of one
    double scoring = 0;
    double jit = 0;
    for (int s = 0; s <= 20; s++) {
      t.add(new StageTimeline.Sample(1000L * s, Map.of("4 scoring", scoring, ProcessCpu.JIT, jit)));
      boolean storm = s >= 10 && s < 12;
      scoring += storm ? 0.5 : 0.8;
      jit += storm ? 1.0 : 0.1;
    }
    // over the 20 s: scoring 15.4 s = 0.77 cores, JIT 3.8 s = 0.19 cores
    assertEquals("stages above their average (cores) in the two seconds from each of the worst: 1970-01-01T00:00:10Z: 8 JIT compiler 1.00 (average 0.19);"
            + " 1970-01-01T00:00:03Z: none",
        t.describe(0, 20_000, List.of(10L, 3L)));
    assertEquals("stages above their average (cores) in the two seconds from each of the worst: 1970-01-01T00:00:20Z: not sampled",
        t.describe(0, 20_000, List.of(20L)));
    assertEquals("stages: not sampled", t.describe(30_000, 40_000, List.of(35L)));
  }
}
