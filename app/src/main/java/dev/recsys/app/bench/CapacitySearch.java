package dev.recsys.app.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * The highest steady (open-loop) rate at which the job meets a latency target, as MLPerf's server
 * scenario finds the highest query rate that meets its p99 bound: bisection between a rate that
 * met the target and one that missed it, each step one probe of the job at a rate. Every probe is
 * kept, so that a second, tighter target starts from the bounds the first one's probes already set.
 */
final class CapacitySearch {

  /** One probe: the offered rate and the p99 latency it gave. */
  record Probe(double rate, double p99Ms) {}

  /** A target's outcome: the highest rate that met it and the lowest that missed it (NaN: none probed). */
  record Capacity(double targetMs, double met, double missed) {
    String describe(double saturation) {
      String low = Double.isNaN(met) ? "no probed rate met it" : String.format("met at %,.0f /s (%.0f%% of saturation)", met, 100 * met / saturation);
      String high = Double.isNaN(missed) ? "no probed rate missed it" : String.format("missed at %,.0f /s (%.0f%%)", missed, 100 * missed / saturation);
      return String.format("visible p99 <= %.0f ms: %s, %s", targetMs, low, high);
    }
  }

  private final DoubleUnaryOperator probe;
  private final List<Probe> probes = new ArrayList<>();

  /** @param probe offers a rate for a while and returns its p99 latency in ms */
  CapacitySearch(DoubleUnaryOperator probe) {
    this.probe = probe;
  }

  /**
   * Bisects for {@code targetMs} within {@code [lo, hi]}, narrowed first by earlier probes, with at
   * most {@code steps} new probes; {@code hi} itself is probed first when no earlier probe above
   * the best passing rate missed the target.
   */
  Capacity search(double targetMs, double lo, double hi, int steps) {
    for (int i = 0; i < steps; i++) {
      double met = met(targetMs, lo);
      double missed = missed(targetMs, met);
      double next = Double.isNaN(missed) ? (met >= hi ? Double.NaN : hi) : (Math.max(met, lo) + missed) / 2;
      if (Double.isNaN(next)) {
        break;
      }
      double p99 = probe.applyAsDouble(next);
      probes.add(new Probe(next, p99));
    }
    double met = met(targetMs, Double.NaN);
    return new Capacity(targetMs, met, missed(targetMs, Double.isNaN(met) ? lo : met));
  }

  /** Every probe so far, in the order taken. */
  List<Probe> probes() {
    return List.copyOf(probes);
  }

  /** The highest probed rate that met the target, or {@code otherwise}. */
  private double met(double targetMs, double otherwise) {
    return probes.stream().filter(p -> p.p99Ms() <= targetMs).map(Probe::rate).max(Comparator.naturalOrder()).orElse(otherwise);
  }

  /**
   * The lowest probed rate above {@code above} that missed the target (NaN: none). A noisy probe
   * can miss below a rate that met; the bisection then stays between the best pass and the first
   * miss above it.
   */
  private double missed(double targetMs, double above) {
    return probes.stream().filter(p -> p.p99Ms() > targetMs && (Double.isNaN(above) || p.rate() > above)).map(Probe::rate)
        .min(Comparator.naturalOrder()).orElse(Double.NaN);
  }
}
