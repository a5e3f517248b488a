package dev.recsys.app.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeliveriesTest {

  private static long at(String iso) {
    return Instant.parse(iso).toEpochMilli();
  }

  @Test
  void slowListsAreCountedBySecondWorstFirst() {
    long[] slow = {
        at("2026-12-07T16:40:03.100Z"), at("2026-12-07T16:40:03.900Z"), at("2026-12-07T16:40:03.999Z"),
        at("2026-12-07T16:40:07.000Z"),
        at("2026-12-07T16:40:01.500Z"), at("2026-12-07T16:40:01.600Z")};
    // 20 s: the worst tenth is two seconds, holding 5 of the 6
    Deliveries.SlowSeconds s = Deliveries.SlowSeconds.of(slow, at("2026-12-07T16:40:00Z"), at("2026-12-07T16:40:20Z"));
    assertEquals(List.of(at("2026-12-07T16:40:03Z") / 1000, at("2026-12-07T16:40:01Z") / 1000, at("2026-12-07T16:40:07Z") / 1000), s.worst());
    assertEquals(List.of(3, 2, 1), s.counts());
    assertEquals("triggered in 3 of the window's 20 seconds; its worst 2 second(s) held 83% of them: "
            + "2026-12-07T16:40:03Z (3) 2026-12-07T16:40:01Z (2) 2026-12-07T16:40:07Z (1)",
        s.toString());
  }

  @Test
  void equalSecondsGoInTimeOrderAndAShortWindowStillHasAWorstSecond() {
    long[] slow = {at("2026-12-07T16:40:05.5Z"), at("2026-12-07T16:40:02.5Z")};
    assertEquals("triggered in 2 of the window's 6 seconds; its worst 1 second(s) held 50% of them: 2026-12-07T16:40:02Z (1) 2026-12-07T16:40:05Z (1)",
        Deliveries.SlowSeconds.of(slow, at("2026-12-07T16:40:00Z"), at("2026-12-07T16:40:05.5Z")).toString());
    assertEquals("none", Deliveries.SlowSeconds.of(new long[0], 0, 1000).toString());
  }
}
