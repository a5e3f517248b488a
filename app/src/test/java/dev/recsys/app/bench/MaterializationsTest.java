package dev.recsys.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class MaterializationsTest {

  private static final ZoneId UTC = ZoneId.of("UTC");

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Test
  void endsInTheWindowInLogOrderAndNothingElse() {
    List<String> log = List.of(
        "15:00:01 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 starts periodic materialization",
        "15:00:01 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 schedules the next materialization in 120 seconds",
        "15:02:02 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 schedules the next materialization in 120 seconds",
        "15:03:10 WARN  TaskChangelogRegistryImpl - state is not in tracking",
        "15:04:03 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 has no state updates since last materialization, "
            + "skip this one and schedule the next one in 120 seconds",
        "\tat org.apache.flink.Some.frame(Some.java:1) Task score users in micro-batches schedules the next materialization",
        "15:05:34 INFO  PeriodicMaterializationManager - Task online metrics per model version (1/1)#0 schedules the next materialization in 120 seconds",
        "15:06:04 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 schedules the next materialization in 120 seconds",
        "15:08:05 INFO  PeriodicMaterializationManager - Task score users in micro-batches -> recommendations sink: Writer (1/1)#0 schedules the next materialization in 120 seconds");
    List<Long> ended = Materializations.endedBetween(log, at("2026-12-07T15:01:00Z"), at("2026-12-07T15:07:00Z"), UTC);
    assertEquals(List.of(at("2026-12-07T15:02:02Z"), at("2026-12-07T15:06:04Z")), ended);
  }

  @Test
  void aSecondThatOverlapsTheWindowsStartCounts() {
    List<String> log = List.of("15:02:02 INFO  PeriodicMaterializationManager - Task score users in micro-batches (1/1)#0 schedules the next materialization in 600 seconds");
    assertEquals(List.of(at("2026-12-07T15:02:02Z")),
        Materializations.endedBetween(log, at("2026-12-07T15:02:02.700Z"), at("2026-12-07T15:03:00Z"), UTC));
    assertEquals(List.of(), Materializations.endedBetween(log, at("2026-12-07T15:02:03Z"), at("2026-12-07T15:03:00Z"), UTC));
  }

  @Test
  void aWindowAcrossMidnightTakesTheEarlyTimesAsTheNextDays() {
    List<String> log = List.of(
        "23:59:55 INFO  PeriodicMaterializationManager - Task score users in micro-batches (1/1)#0 schedules the next materialization in 600 seconds",
        "00:00:05 INFO  PeriodicMaterializationManager - Task score users in micro-batches (1/1)#0 schedules the next materialization in 600 seconds");
    assertEquals(List.of(at("2026-12-07T23:59:55Z"), at("2026-12-08T00:00:05Z")),
        Materializations.endedBetween(log, at("2026-12-07T23:59:50Z"), at("2026-12-08T00:00:20Z"), UTC));
  }

  @Test
  void theSlowestListIsPlacedAgainstTheNearestEnd() {
    List<Long> ended = List.of(at("2026-12-07T15:02:02Z"), at("2026-12-07T15:07:24Z"));
    String before = Materializations.describe(ended, at("2026-12-07T15:07:23.561Z"));
    assertTrue(before.startsWith("2 materialization(s) ended (job log, to the second): 2026-12-07T15:02:02Z 2026-12-07T15:07:24Z"), before);
    assertTrue(before.endsWith("triggered 0.4 s before the second in which the nearest one ended"), before);
    assertTrue(Materializations.describe(ended, at("2026-12-07T15:02:02.300Z")).endsWith("triggered during the second in which the nearest one ended"));
    assertTrue(Materializations.describe(ended, at("2026-12-07T15:02:05Z")).endsWith("triggered 2.0 s after the second in which the nearest one ended"));
    assertEquals("no materialization ended in the window", Materializations.describe(List.of(), at("2026-12-07T15:02:05Z")));
  }
}
