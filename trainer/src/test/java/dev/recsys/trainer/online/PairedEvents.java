package dev.recsys.trainer.online;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelMetricsEvent.Scores;
import dev.recsys.contracts.ModelMetricsEvent.Tally;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Per-event ranks of the movie rated next in the shadow's and the live version's lists (0: not in
 * the list), and the counts the job would emit for them: the tests' stand-in for the job, from
 * which they also compute every figure directly.
 */
final class PairedEvents {

  private final List<int[]> events = new ArrayList<>();

  /** {@code times} events with these ranks. */
  PairedEvents add(int shadowRank, int liveRank, int times) {
    for (int i = 0; i < times; i++) {
      events.add(new int[] {shadowRank, liveRank});
    }
    return this;
  }

  PairedEvents addAll(PairedEvents other) {
    events.addAll(other.events);
    return this;
  }

  PairedEvents shuffle(long seed) {
    Collections.shuffle(events, new Random(seed));
    return this;
  }

  int size() {
    return events.size();
  }

  static double gain(int rank) {
    return rank == 0 ? 0 : 1 / (Math.log(rank + 1) / Math.log(2));
  }

  static boolean hit(int rank, int k) {
    return rank > 0 && rank <= k;
  }

  /** Per event: 1/0 hits at k (shadow when {@code shadow}, else live). */
  double[] hits(int k, boolean shadow) {
    return events.stream().mapToDouble(e -> hit(e[shadow ? 0 : 1], k) ? 1 : 0).toArray();
  }

  double[] gains(boolean shadow) {
    return events.stream().mapToDouble(e -> gain(e[shadow ? 0 : 1])).toArray();
  }

  private Scores scores(int side) {
    long[] h = new long[3];
    double sum = 0;
    double sq = 0;
    for (int[] e : events) {
      for (int i = 0; i < 3; i++) {
        h[i] += hit(e[side], ModelMetricsEvent.CUTOFFS[i]) ? 1 : 0;
      }
      double g = gain(e[side]);
      sum += g;
      sq += g * g;
    }
    return new Scores(h[0], h[1], h[2], sum, sq);
  }

  /** Events where {@code side} hit and the other missed, per cutoff. */
  private Scores only(int side) {
    long[] h = new long[3];
    for (int[] e : events) {
      for (int i = 0; i < 3; i++) {
        int k = ModelMetricsEvent.CUTOFFS[i];
        h[i] += hit(e[side], k) && !hit(e[1 - side], k) ? 1 : 0;
      }
    }
    return new Scores(h[0], h[1], h[2], 0, 0);
  }

  Tally comparison() {
    double diffSquares = 0;
    for (int[] e : events) {
      double d = gain(e[0]) - gain(e[1]);
      diffSquares += d * d;
    }
    return new Tally(events.size(), scores(0), scores(1), only(0), only(1), diffSquares, null, null);
  }

  Tally version(boolean shadow, long scoredUsers, double scoringMillis) {
    return new Tally(events.size(), scores(shadow ? 0 : 1), null, null, null, null, scoredUsers, scoringMillis);
  }

  static ModelMetricsEvent comparisonRecord(String name, int shadow, int live, long windowStart, long windowEnd, Tally window, Tally total) {
    return new ModelMetricsEvent(ModelMetricsEvent.COMPARISON, name, shadow, ModelMetricsEvent.SHADOW, live, windowStart, windowEnd, window, total,
        windowEnd + 5);
  }

  static ModelMetricsEvent versionRecord(String name, int version, String role, long windowStart, long windowEnd, Tally window, Tally total) {
    return new ModelMetricsEvent(ModelMetricsEvent.VERSION, name, version, role, null, windowStart, windowEnd, window, total, windowEnd + 5);
  }
}
