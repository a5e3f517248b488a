package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.UserQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keyed by userId, each rating goes through four steps:
 *
 * <ol>
 *   <li><b>history:</b> the user's ratings in RocksDB ({@link UserHistory}) take the rating; a
 *       duplicate or stale one stops here;
 *   <li><b>buffer:</b> the user waits for the next micro-batch, several events of one user
 *       coalescing into one scoring of the latest history;
 *   <li><b>score:</b> when {@code batch.size} users wait or the oldest has waited {@code
 *       batch.timeout}, the batch goes through the served model's scorer in one forward pass;
 *   <li><b>emit:</b> one recommendation per user.
 * </ol>
 *
 * <p>Which model scores is {@link ServedModel}'s business (the broadcast side carries its
 * announcements). While no model is in service, users wait in the buffer until one is. The
 * buffer is operator state: users waiting at a checkpoint are scored after a restore.
 */
public class RecommendFunction extends KeyedBroadcastProcessFunction<Long, Rating, ModelUpdateEvent, RecommendationEvent>
    implements CheckpointedFunction {

  private static final long serialVersionUID = 2L;
  private static final Logger LOG = LoggerFactory.getLogger(RecommendFunction.class);

  /** How often users waiting for a first model look again. */
  private static final long NO_MODEL_RECHECK_MS = 100;

  private final JobConfig config;
  private transient ValueState<UserHistory> history;
  private transient ListState<Pending> bufferState;
  private transient Map<Long, Pending> buffer;
  private transient long bufferSince;
  private transient ServedModel model;
  private transient int batchSize;
  private transient long batchTimeoutMs;
  private transient int historyCap;
  private transient int topK;
  private transient Counter recommendationsOut;
  private transient Counter unchangedEvents;
  private transient Histogram batchSizes;
  private transient Histogram scoringMillis;
  private transient Histogram latencyMillis;

  public RecommendFunction(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext ctx) throws Exception {
    batchSize = config.get(JobConfig.BATCH_SIZE);
    batchTimeoutMs = config.get(JobConfig.BATCH_TIMEOUT).toMillis();
    historyCap = config.get(JobConfig.HISTORY_CAP);
    topK = config.get(JobConfig.TOP_K);
    ValueStateDescriptor<UserHistory> desc = new ValueStateDescriptor<>("history", UserHistory.class);
    Duration ttl = config.get(JobConfig.STATE_TTL);
    if (!ttl.isZero()) {
      desc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
    }
    history = getRuntimeContext().getState(desc);

    var metrics = getRuntimeContext().getMetricGroup();
    recommendationsOut = metrics.counter("recommendationsOut");
    unchangedEvents = metrics.counter("unchangedEvents");
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    scoringMillis = metrics.histogram("scoringMillis", new DescriptiveStatisticsHistogram(1000));
    latencyMillis = metrics.histogram("eventToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    metrics.gauge("usersWaiting", () -> buffer.size());

    DjlRuntime.configure(null, new DjlRuntime.Threads(config.get(JobConfig.SCORING_THREADS), 1));
    model = new ServedModel(config, metrics);
    model.start();
  }

  @Override
  public void initializeState(FunctionInitializationContext ctx) throws Exception {
    bufferState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-users", Pending.class));
    buffer = new LinkedHashMap<>();
    for (Pending p : bufferState.get()) {
      buffer.put(p.userId, p);
    }
    bufferSince = 0; // restored users are overdue: the first timer (restored with the keyed state) scores them
  }

  @Override
  public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
    bufferState.update(new ArrayList<>(buffer.values()));
  }

  @Override
  public void processElement(Rating r, ReadOnlyContext ctx, Collector<RecommendationEvent> out) throws Exception {
    refreshModel(ctx, out);
    UserHistory h = updateHistory(r);
    if (h == null) {
      return;
    }
    long now = ctx.timerService().currentProcessingTime();
    if (buffer.isEmpty()) {
      bufferSince = now;
      ctx.timerService().registerProcessingTimeTimer(now + batchTimeoutMs);
    }
    buffer.put(r.userId(), new Pending(r.userId(), h, r, System.currentTimeMillis()));
    if (buffer.size() >= batchSize) {
      scoreAndEmit(out, ctx.timerService());
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<RecommendationEvent> out) throws Exception {
    refreshModel(ctx, out);
    if (buffer.isEmpty()) {
      return;
    }
    if (timestamp >= bufferSince + batchTimeoutMs) {
      scoreAndEmit(out, ctx.timerService());
    } else {
      // the batch that set this timer was scored by size; a younger one is waiting
      ctx.timerService().registerProcessingTimeTimer(bufferSince + batchTimeoutMs);
    }
  }

  @Override
  public void processBroadcastElement(ModelUpdateEvent e, Context ctx, Collector<RecommendationEvent> out) throws Exception {
    model.announced(e, ctx.getBroadcastState(ServedModel.ANNOUNCED));
    if (model.refresh(ctx.getBroadcastState(ServedModel.ANNOUNCED), d -> ctx.output(DeadLetters.TAG, d)) && !buffer.isEmpty()) {
      scoreAndEmit(out, null); // users held for a first model
    }
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

  /** Test hook: waits for a background model load. */
  void awaitModelLoad() {
    model.awaitLoader();
  }

  /** Applies a model swap first; users held for a first model are scored as soon as it is in. */
  private void refreshModel(ReadOnlyContext ctx, Collector<RecommendationEvent> out) throws Exception {
    Consumer<DeadLetterEvent> deadLetters = d -> ctx.output(DeadLetters.TAG, d);
    if (model.refresh(ctx.getBroadcastState(ServedModel.ANNOUNCED), deadLetters) && !buffer.isEmpty()) {
      scoreAndEmit(out, ctx.timerService());
    }
  }

  /** Step 1: the rating into the user's history; null when it changed nothing. */
  private UserHistory updateHistory(Rating r) throws Exception {
    UserHistory h = history.value();
    if (h == null) {
      h = new UserHistory();
    }
    boolean changed = h.apply(r.movieId(), r.rating(), r.timestamp(), historyCap);
    history.update(h); // a same-rating repeat still refreshes recency (and the TTL)
    if (!changed) {
      unchangedEvents.inc();
      return null;
    }
    return h;
  }

  /**
   * Steps 3 and 4: scores every waiting user and emits their lists; with no model in service they
   * keep waiting, looked at again shortly (when a timer service is at hand).
   */
  private void scoreAndEmit(Collector<RecommendationEvent> out, TimerService timers) {
    ServedModel.Loaded m = model.current();
    if (m == null) {
      if (timers != null) {
        timers.registerProcessingTimeTimer(timers.currentProcessingTime() + NO_MODEL_RECHECK_MS);
      }
      return;
    }
    List<Pending> batch = new ArrayList<>(buffer.values());
    buffer.clear();
    long t0 = System.nanoTime();
    List<UserQuery> queries = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      queries.add(new UserQuery(p.positives, p.rated));
    }
    List<Recommendations> recs = m.scorer().score(queries, topK);
    scoringMillis.update((System.nanoTime() - t0) / 1_000_000);
    batchSizes.update(batch.size());
    emit(batch, recs, m, out);
  }

  private void emit(List<Pending> batch, List<Recommendations> recs, ServedModel.Loaded m, Collector<RecommendationEvent> out) {
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
