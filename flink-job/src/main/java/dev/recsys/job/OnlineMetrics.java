package dev.recsys.job;

import dev.recsys.contracts.ModelMetricsEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Online quality per model version: counts the {@link Observation}s of one key (a version in a
 * role, or a shadow against a live version) per tumbling processing-time window of {@code
 * online-metrics.window}, and since the key's first event. At each window's end it emits a {@link
 * ModelMetricsEvent} with both. The counts are keyed state, so they survive restores.
 *
 * <p>Flink metrics, per model, role and version (labels {@code model}, {@code role}, {@code
 * version}): the gauges {@code hitRate10}, {@code hitRate20}, {@code hitRate100}, {@code ndcg}
 * (mean gain) and {@code onlineEvents}, over the total; they appear with a key's first
 * observation after a (re)start.
 */
public class OnlineMetrics extends KeyedProcessFunction<String, Observation, ModelMetricsEvent> {

  private static final long serialVersionUID = 1L;

  /** The recommend step's side output. */
  static final OutputTag<Observation> OBSERVATIONS = new OutputTag<>("online-observations") {};

  /** Mutable counts behind a {@link ModelMetricsEvent.Tally}; a Flink POJO. */
  public static class Counts {
    public long events;
    public long hits10, hits20, hits100;
    public double gainSum, gainSquares;
    public long baseHits10, baseHits20, baseHits100;
    public double baseGainSum, baseGainSquares;
    public long only10, only20, only100;
    public long onlyBase10, onlyBase20, onlyBase100;
    public double gainDiffSquares;
    public long scoredUsers;
    public long scoringNanos;

    public Counts() {}

    void add(Observation o) {
      if (o.isCost()) {
        scoredUsers += o.scoredUsers;
        scoringNanos += o.scoringNanos;
        return;
      }
      events++;
      double g = gain(o.rank);
      hits10 += hit(o.rank, 10);
      hits20 += hit(o.rank, 20);
      hits100 += hit(o.rank, 100);
      gainSum += g;
      gainSquares += g * g;
      if (ModelMetricsEvent.COMPARISON.equals(o.kind)) {
        double b = gain(o.baselineRank);
        baseHits10 += hit(o.baselineRank, 10);
        baseHits20 += hit(o.baselineRank, 20);
        baseHits100 += hit(o.baselineRank, 100);
        baseGainSum += b;
        baseGainSquares += b * b;
        only10 += hit(o.rank, 10) * (1 - hit(o.baselineRank, 10));
        only20 += hit(o.rank, 20) * (1 - hit(o.baselineRank, 20));
        only100 += hit(o.rank, 100) * (1 - hit(o.baselineRank, 100));
        onlyBase10 += hit(o.baselineRank, 10) * (1 - hit(o.rank, 10));
        onlyBase20 += hit(o.baselineRank, 20) * (1 - hit(o.rank, 20));
        onlyBase100 += hit(o.baselineRank, 100) * (1 - hit(o.rank, 100));
        gainDiffSquares += (g - b) * (g - b);
      }
    }

    ModelMetricsEvent.Tally tally(String kind) {
      ModelMetricsEvent.Scores scores = new ModelMetricsEvent.Scores(hits10, hits20, hits100, gainSum, gainSquares);
      if (ModelMetricsEvent.COMPARISON.equals(kind)) {
        return new ModelMetricsEvent.Tally(events, scores,
            new ModelMetricsEvent.Scores(baseHits10, baseHits20, baseHits100, baseGainSum, baseGainSquares),
            new ModelMetricsEvent.Scores(only10, only20, only100, 0, 0),
            new ModelMetricsEvent.Scores(onlyBase10, onlyBase20, onlyBase100, 0, 0),
            gainDiffSquares, null, null);
      }
      return new ModelMetricsEvent.Tally(events, scores, null, null, null, null, scoredUsers, scoringNanos / 1e6);
    }
  }

  /** A hit at {@code k}: the movie stood in the list's top k. */
  static int hit(int rank, int k) {
    return rank >= 1 && rank <= k ? 1 : 0;
  }

  /** The NDCG-style gain of one event: 1/log2(rank + 1), 0 when the movie was not in the list. */
  static double gain(int rank) {
    return rank >= 1 ? 1.0 / (Math.log(rank + 1) / Math.log(2)) : 0.0;
  }

  private final long windowMillis;
  private transient ValueState<Counts> window;
  private transient ValueState<Counts> total;
  private transient ValueState<Long> windowEnd;
  private transient Map<String, Gauged> gauged;

  public OnlineMetrics(Duration window) {
    this.windowMillis = window.toMillis();
  }

  @Override
  public void open(OpenContext ctx) {
    window = getRuntimeContext().getState(new ValueStateDescriptor<>("window", Counts.class));
    total = getRuntimeContext().getState(new ValueStateDescriptor<>("total", Counts.class));
    windowEnd = getRuntimeContext().getState(new ValueStateDescriptor<>("window-end", Long.class));
    gauged = new ConcurrentHashMap<>();
  }

  @Override
  public void processElement(Observation o, Context ctx, Collector<ModelMetricsEvent> out) throws Exception {
    long now = ctx.timerService().currentProcessingTime();
    Long end = windowEnd.value();
    if (end != null && now >= end) {
      flush(o, end, out); // the timer has not fired yet
      end = null;
    }
    if (end == null) {
      end = now - Math.floorMod(now, windowMillis) + windowMillis;
      windowEnd.update(end);
      ctx.timerService().registerProcessingTimeTimer(end);
    }
    Counts w = orNew(window.value());
    Counts t = orNew(total.value());
    w.add(o);
    t.add(o);
    window.update(w);
    total.update(t);
    if (ModelMetricsEvent.VERSION.equals(o.kind)) {
      gauge(o).set(t);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<ModelMetricsEvent> out) throws Exception {
    Long end = windowEnd.value();
    if (end != null && end == timestamp) {
      String[] k = ctx.getCurrentKey().split("\\|");
      Observation o = Observation.event(k[0], k[1], k[2], Integer.parseInt(k[3]), Integer.parseInt(k[4]), 0, 0);
      flush(o, end, out);
    }
  }

  private void flush(Observation key, long end, Collector<ModelMetricsEvent> out) throws Exception {
    Counts w = orNew(window.value());
    Counts t = orNew(total.value());
    out.collect(new ModelMetricsEvent(key.kind, key.model, key.version, key.role,
        ModelMetricsEvent.COMPARISON.equals(key.kind) ? key.baselineVersion : null,
        end - windowMillis, end, w.tally(key.kind), t.tally(key.kind), System.currentTimeMillis()));
    window.clear();
    windowEnd.clear();
  }

  private static Counts orNew(Counts c) {
    return c == null ? new Counts() : c;
  }

  /** The gauges of one version in one role, registered with its first observation here. */
  private Gauged gauge(Observation o) {
    return gauged.computeIfAbsent(o.key(), k -> {
      Gauged g = new Gauged();
      MetricGroup m = getRuntimeContext().getMetricGroup()
          .addGroup("model", o.model).addGroup("role", o.role).addGroup("version", Integer.toString(o.version));
      m.gauge("hitRate10", () -> g.rate(g.hits10));
      m.gauge("hitRate20", () -> g.rate(g.hits20));
      m.gauge("hitRate100", () -> g.rate(g.hits100));
      m.gauge("ndcg", () -> g.events == 0 ? 0.0 : g.gainSum / g.events);
      m.gauge("onlineEvents", () -> g.events);
      return g;
    });
  }

  /** The latest totals of one key, read by its gauges from the metrics thread. */
  private static final class Gauged {
    volatile long events;
    volatile long hits10, hits20, hits100;
    volatile double gainSum;

    void set(Counts t) {
      hits10 = t.hits10;
      hits20 = t.hits20;
      hits100 = t.hits100;
      gainSum = t.gainSum;
      events = t.events;
    }

    double rate(long hits) {
      long n = events;
      return n == 0 ? 0.0 : (double) hits / n;
    }
  }
}
