package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CapacitySearchTest {

  /** A queue's p99 that grows without bound towards 1,200 /s: it meets t ms up to 1200 - 24000 / t. */
  private static double queue(double rate) {
    return rate < 1200 ? 20 * 1200 / (1200 - rate) : 1e6;
  }

  @Test
  void bisectsToTheRateWhereTheTargetStopsHoldingAndTheTighterTargetReusesTheProbes() {
    CapacitySearch search = new CapacitySearch(CapacitySearchTest::queue);
    CapacitySearch.Capacity loose = search.search(250, 120, 1200, 5);
    assertThat(search.probes()).extracting(CapacitySearch.Probe::rate).containsExactly(1200.0, 660.0, 930.0, 1065.0, 1132.5);
    assertThat(loose.met()).isEqualTo(1065.0);
    assertThat(loose.missed()).isEqualTo(1132.5);
    assertThat(1200 - 24000 / 250.0).isBetween(loose.met(), loose.missed()); // 1,104 /s

    CapacitySearch.Capacity tight = search.search(100, 120, 1200, 5);
    List<Double> rates = search.probes().stream().map(CapacitySearch.Probe::rate).toList();
    // it starts between the loose search's best pass of 100 ms (930) and its first miss (1,065)
    assertThat(rates.subList(5, 10)).containsExactly(997.5, 963.75, 946.875, 955.3125, 959.53125);
    assertThat(tight.met()).isEqualTo(959.53125);
    assertThat(tight.missed()).isEqualTo(963.75);
    assertThat(1200 - 24000 / 100.0).isBetween(tight.met(), tight.missed()); // 960 /s
  }

  @Test
  void aCeilingThatMeetsTheTargetEndsTheSearchAtOnce() {
    CapacitySearch search = new CapacitySearch(r -> 30);
    CapacitySearch.Capacity c = search.search(100, 100, 1000, 5);
    assertThat(search.probes()).hasSize(1);
    assertThat(c.met()).isEqualTo(1000.0);
    assertThat(c.missed()).isNaN();
    assertThat(c.describe(2000)).isEqualTo("visible p99 <= 100 ms: met at 1,000 /s (50% of saturation), no probed rate missed it");
  }

  @Test
  void aTargetNoRateMeetsSaysSo() {
    CapacitySearch search = new CapacitySearch(r -> 900);
    CapacitySearch.Capacity c = search.search(100, 100, 1000, 3);
    assertThat(search.probes()).extracting(CapacitySearch.Probe::rate).containsExactly(1000.0, 550.0, 325.0);
    assertThat(c.met()).isNaN();
    assertThat(c.missed()).isEqualTo(325.0);
    assertThat(c.describe(1000)).isEqualTo("visible p99 <= 100 ms: no probed rate met it, missed at 325 /s (33%)");
  }

  @Test
  void aNoisyMissBelowAPassDoesNotBoundTheNextSearch() {
    // 997.5 /s stalls once (300 ms); the looser target then bisects above 1,065 /s, which met it
    CapacitySearch search = new CapacitySearch(r -> r == 997.5 ? 300 : queue(r));
    search.search(100, 120, 1200, 5);
    assertThat(search.probes()).extracting(CapacitySearch.Probe::rate).containsExactly(1200.0, 660.0, 930.0, 1065.0, 997.5);
    CapacitySearch.Capacity loose = search.search(250, 120, 1200, 1);
    assertThat(search.probes().get(5).rate()).isEqualTo(1132.5);
    assertThat(loose.met()).isEqualTo(1065.0);
    assertThat(loose.missed()).isEqualTo(1132.5);
  }
}
