package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of the job. Keyed by userId, it keeps each user's ratings ({@link UserHistory}) in
 * RocksDB, buffers users whose history changed, and scores the buffer as one batch through the
 * model's {@link dev.recsys.model.scoring.Scorer} when it holds {@code batch.size} users or its
 * oldest entry has waited {@code batch.timeout}. Several events of a user within one batch are
 * coalesced into one scoring of the latest history.
 *
 * <p>The broadcast side carries model announcements: a new version is loaded off the task thread
 * and swapped in between batches; a version that fails to load is refused (dead-letter event and
 * metric) while the current one keeps serving. The announcements are kept in broadcast state, so a
 * restored job serves the newest announced version that loads, before scoring anything.
 *
 * <p>The buffer is operator state: users waiting at a checkpoint are scored after a restore.
 */
public class RecommendFunction extends KeyedBroadcastProcessFunction<Long, Rating, ModelUpdateEvent, RecommendationEvent>
    implements CheckpointedFunction {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RecommendFunction.class);

  /** Model announcements by arrival sequence; the newest that loads is served. */
  public static final MapStateDescriptor<Long, ModelUpdateEvent> ANNOUNCEMENTS =
      new MapStateDescriptor<>("model-announcements", Types.LONG, TypeInformation.of(ModelUpdateEvent.class));

  /** Refused model versions, as dead-letter events. */
  public static final OutputTag<DeadLetterEvent> MODEL_ERRORS = new OutputTag<>("model-errors") {};

  private static final int ANNOUNCEMENTS_KEPT = 8;

  private final JobConfig config;
  private transient ValueState<UserHistory> history;
  private transient ListState<Pending> pendingState;
  private transient Map<Long, Pending> buffer;
  private transient long bufferSince;
  private transient ModelHolder model;
  private transient boolean reconciled;
  private transient int batchSize;
  private transient long batchTimeoutMs;
  private transient int historyCap;
  private transient int topK;
  private transient Counter recommendationsOut;
  private transient Counter unchangedEvents;
  private transient Counter modelLoadFailures;
  private transient Histogram batchSizes;
  private transient Histogram scoringMillis;
  private transient Histogram latencyMillis;

  public RecommendFunction(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext ctx) throws Exception {
    batchSize = Math.max(1, config.getInt(JobConfig.BATCH_SIZE));
    batchTimeoutMs = config.getDuration(JobConfig.BATCH_TIMEOUT).toMillis();
    historyCap = config.getInt(JobConfig.HISTORY_CAP);
    topK = config.getInt(JobConfig.TOP_K);
    ValueStateDescriptor<UserHistory> desc = new ValueStateDescriptor<>("history", UserHistory.class);
    Duration ttl = config.getDuration(JobConfig.STATE_TTL);
    if (!ttl.isZero()) {
      desc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
    }
    history = getRuntimeContext().getState(desc);

    int threads = config.getInt(JobConfig.SCORING_THREADS);
    DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
    model = new ModelHolder(Path.of(config.get(JobConfig.REGISTRY)), config.get(JobConfig.MODEL_NAME));
    model.loadRegistryCurrent();

    var metrics = getRuntimeContext().getMetricGroup();
    recommendationsOut = metrics.counter("recommendationsOut");
    unchangedEvents = metrics.counter("unchangedEvents");
    modelLoadFailures = metrics.counter("modelLoadFailures");
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    scoringMillis = metrics.histogram("scoringMillis", new DescriptiveStatisticsHistogram(1000));
    latencyMillis = metrics.histogram("eventToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    metrics.gauge("modelVersion", () -> model.current() == null ? -1 : model.current().version());
  }

  @Override
  public void initializeState(FunctionInitializationContext ctx) throws Exception {
    pendingState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-users", Pending.class));
    buffer = new LinkedHashMap<>();
    for (Pending p : pendingState.get()) {
      buffer.put(p.userId, p);
    }
    bufferSince = 0; // restored users are overdue: the first timer (restored with the keyed state) flushes them
  }

  @Override
  public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
    pendingState.update(new ArrayList<>(buffer.values()));
  }

  @Override
  public void processElement(Rating r, ReadOnlyContext ctx, Collector<RecommendationEvent> out) throws Exception {
    reconcile(ctx.getBroadcastState(ANNOUNCEMENTS), ctx::output);
    swapIfReady(ctx::output);
    UserHistory h = history.value();
    if (h == null) {
      h = new UserHistory();
    }
    if (!h.apply(r.movieId(), r.rating(), r.timestamp(), historyCap)) {
      unchangedEvents.inc();
      history.update(h); // a same-rating repeat refreshes recency (and the TTL)
      return;
    }
    history.update(h);
    long now = ctx.timerService().currentProcessingTime();
    if (buffer.isEmpty()) {
      bufferSince = now;
      ctx.timerService().registerProcessingTimeTimer(now + batchTimeoutMs);
    }
    buffer.put(r.userId(), new Pending(r.userId(), h, r, System.currentTimeMillis()));
    if (buffer.size() >= batchSize) {
      flush(out);
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RecommendationEvent> out) throws Exception {
    reconcile(ctx.getBroadcastState(ANNOUNCEMENTS), ctx::output);
    swapIfReady(ctx::output);
    if (buffer.isEmpty()) {
      return;
    }
    if (timestamp >= bufferSince + batchTimeoutMs) {
      flush(out);
    } else {
      // the batch that set this timer was flushed by size; a younger one is waiting
      ctx.timerService().registerProcessingTimeTimer(bufferSince + batchTimeoutMs);
    }
  }

  @Override
  public void processBroadcastElement(ModelUpdateEvent e, Context ctx, Collector<RecommendationEvent> out) throws Exception {
    BroadcastState<Long, ModelUpdateEvent> state = ctx.getBroadcastState(ANNOUNCEMENTS);
    long seq = 0;
    List<Long> keys = new ArrayList<>();
    for (Map.Entry<Long, ModelUpdateEvent> entry : state.entries()) {
      keys.add(entry.getKey());
      seq = Math.max(seq, entry.getKey() + 1);
    }
    state.put(seq, e);
    keys.sort(null);
    for (int i = 0; i + ANNOUNCEMENTS_KEPT - 1 < keys.size(); i++) {
      state.remove(keys.get(i));
    }
    reconciled = true; // a live announcement supersedes whatever a restore would pick
    model.request(e);
    swapIfReady(ctx::output);
  }

  @Override
  public void close() throws Exception {
    if (batchSizes != null && batchSizes.getCount() > 0) {
      LOG.info("scored {} users in {} batches: mean batch {}, mean scoring {} ms, p99 event-to-emit {} ms",
          recommendationsOut.getCount(), batchSizes.getCount(), String.format("%.1f", batchSizes.getStatistics().getMean()),
          String.format("%.1f", scoringMillis.getStatistics().getMean()), (long) latencyMillis.getStatistics().getQuantile(0.99));
    }
    if (model != null) {
      model.close();
    }
  }

  /** Test hook: waits for a background model load and applies it. */
  void awaitModelLoad() {
    model.awaitLoader();
  }

  /**
   * After a restore, serve the newest announced version that loads, before scoring anything (once
   * per subtask; each subtask holds the same broadcast state, so all pick the same version).
   */
  private void reconcile(ReadOnlyBroadcastState<Long, ModelUpdateEvent> state, BiConsumer<OutputTag<DeadLetterEvent>, DeadLetterEvent> side)
      throws Exception {
    if (reconciled) {
      return;
    }
    reconciled = true;
    List<Map.Entry<Long, ModelUpdateEvent>> announced = new ArrayList<>();
    for (Map.Entry<Long, ModelUpdateEvent> entry : state.immutableEntries()) {
      announced.add(Map.entry(entry.getKey(), entry.getValue()));
    }
    announced.sort(Map.Entry.<Long, ModelUpdateEvent>comparingByKey().reversed());
    for (Map.Entry<Long, ModelUpdateEvent> entry : announced) {
      ModelUpdateEvent e = entry.getValue();
      ModelHolder.Loaded cur = model.current();
      if (cur != null && cur.version() == e.version() && cur.sha256().equals(e.sha256())) {
        return;
      }
      ModelHolder.Outcome o = model.loadNow(e);
      if (o.loaded() != null) {
        LOG.info("restored: serving {} v{} as recorded in broadcast state", e.name(), e.version());
        return;
      }
      refused(o, side);
    }
  }

  private void swapIfReady(BiConsumer<OutputTag<DeadLetterEvent>, DeadLetterEvent> side) {
    model.poll().ifPresent(o -> {
      if (o.loaded() != null) {
        LOG.info("now serving {} v{}", o.loaded().name(), o.loaded().version());
      } else {
        refused(o, side);
      }
    });
  }

  private void refused(ModelHolder.Outcome o, BiConsumer<OutputTag<DeadLetterEvent>, DeadLetterEvent> side) {
    modelLoadFailures.inc();
    ModelHolder.Loaded cur = model.current();
    String msg = "refused model " + o.event().name() + " v" + o.event().version() + ": " + o.error()
        + (cur == null ? "" : " (still serving v" + cur.version() + ")");
    side.accept(MODEL_ERRORS, DeadLetterEvent.of(config.get(JobConfig.MODEL_UPDATES_TOPIC), -1, -1,
        JsonCodec.MODEL_UPDATE.encode(o.event()), msg, System.currentTimeMillis()));
  }

  private void flush(Collector<RecommendationEvent> out) {
    if (buffer.isEmpty()) {
      return;
    }
    List<Pending> batch = new ArrayList<>(buffer.values());
    buffer.clear();
    ModelHolder.Loaded m = model.current();
    if (m == null) {
      LOG.warn("no model to score {} users with; they are scored on their next event", batch.size());
      return;
    }
    long t0 = System.nanoTime();
    List<UserQuery> queries = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      queries.add(new UserQuery(p.positives, p.rated));
    }
    List<Recommendations> recs = m.scorer().score(queries, topK);
    scoringMillis.update((System.nanoTime() - t0) / 1_000_000);
    batchSizes.update(batch.size());
    long now = System.currentTimeMillis();
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      Recommendations r = recs.get(i);
      List<RecommendationEvent.Item> items = new ArrayList<>(r.items().size());
      for (ScoredItem s : r.items()) {
        items.add(new RecommendationEvent.Item(s.movieId(), s.score()));
      }
      out.collect(new RecommendationEvent(p.userId, m.name(), m.version(), items, p.triggerTimestamp, now, r.fallback(), p.triggerPublishedAt));
      latencyMillis.update(now - p.arrivedAt);
    }
    recommendationsOut.inc(batch.size());
  }
}
