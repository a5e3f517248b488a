package dev.recsys.job;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.Interactions;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.UserQuery;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedMultiInput;
import org.apache.flink.streaming.api.operators.TwoInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.FlinkRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heart of the job: ratings keyed by userId in, one recommendation per changed history out.
 * Each rating goes through four steps:
 *
 * <ol>
 *   <li><b>history</b> (task thread): the user's ratings in RocksDB ({@link UserHistory}) take the
 *       rating; a duplicate or stale one stops here;
 *   <li><b>queue</b> (task thread): a snapshot of the history waits in the {@link ScoringQueue},
 *       several ratings of one user coalescing into one scoring of the latest history;
 *   <li><b>score</b> ({@code scoring.threads} scoring threads): whenever one is free it takes
 *       whatever waits, up to {@code batch.size} users, and scores them in one forward pass of the
 *       served model, with one PyTorch thread. Independent forward passes use the cores better
 *       than one pass split across them: a split pass waits for its slowest thread, which the task
 *       thread, the broker or the clients may hold up. The scorers are ranked: with
 *       {@code scoring.join-delay} above 0, each after the first waits that much longer for users,
 *       so it joins only when those before it fall behind or full batches wait;
 *   <li><b>emit</b> (task thread, through the mailbox): the batches' lists go out in the order the
 *       batches were taken, whichever finished first, so a user's later list never precedes an
 *       earlier one.
 * </ol>
 *
 * <p>So reading, state updates and encoding go on while a batch is scored, and the batch size
 * follows the load: one user when the job is idle, full batches when it is saturated. At most
 * {@code 4 × batch.size} users wait or are in flight; beyond that the task thread stops taking
 * input (backpressure) until a batch is emitted.
 *
 * <p>Checkpoints keep every user not yet emitted (in flight or waiting) in operator state; a
 * restored job scores them again before anything else, so nothing is lost, and with the
 * exactly-once sink nothing is duplicated (lists emitted after a checkpoint belong to the next
 * transaction). The second input carries model announcements for {@link ServedModel}; while no
 * model is in service, users wait in the queue.
 *
 * <p><b>Online evaluation.</b> The movies of the last list each user got from the live version
 * (and from a running shadow) stay in keyed state. When the user then rates a movie they had not
 * rated, positively, its rank in those lists goes to {@link OnlineMetrics} as an {@link
 * Observation}, with each batch's scoring cost per version. A shadow scores the same batches, for
 * the users that {@code shadow.sample} picks, on the scoring thread after the live version; its
 * lists only feed those observations, and they are dropped when the shadow ends.
 *
 * <p>Metrics, per subtask: {@code historyMicros} (the RocksDB read-modify-write), {@code
 * queueMillis} (waiting for the scorer), {@code batchSize}, {@code scoringMillis} (one batch), {@code
 * scorer.<i>.batches} (the batches each scorer took: how many scorers the load engages),
 * {@code emitMillis} (a batch's encoding and sending), {@code eventToEmitMillis} (Kafka timestamp of
 * the trigger to emission), {@code recommendationsOut}, {@code unchangedEvents}, the gauges {@code
 * usersWaiting} and {@code batchesInFlight}, and {@link ServedModel}'s.
 */
public class RecommendOperator extends AbstractStreamOperator<RecommendationEvent>
    implements TwoInputStreamOperator<Rating, ModelUpdateEvent, RecommendationEvent>, BoundedMultiInput {

  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(RecommendOperator.class);

  /** How many batches' worth of users may wait or be in flight before input stops. */
  static final int QUEUED_BATCHES = 4;
  private static final long SAMPLE_BUCKETS = 1 << 20;

  private final JobConfig config;
  private transient ValueState<UserHistory> history;
  private transient ValueState<ServedList> lastLive;
  private transient ValueState<ServedList> lastShadow;
  private transient ValueStateDescriptor<ServedList> lastShadowDesc;
  private transient long sampleBelow;
  private transient String modelName;
  private transient ListState<Pending> queueState;
  private transient BroadcastState<String, ModelUpdateEvent> announced;
  private transient ScoringQueue<Scored> queue;
  private transient ServedModel model;
  private transient MailboxExecutor mailbox;
  private transient List<Thread> scorers;
  private transient int batchSize;
  private transient long maxDelayNanos;
  private transient long joinDelayNanos;
  private transient int historyCap;
  private transient int topK;
  private transient int nice;
  private transient int capacity;
  private transient Counter recommendationsOut;
  private transient Counter unchangedEvents;
  private transient Counter[] batchesByScorer;
  private transient Histogram arrivalMillis;
  private transient Histogram historyMicros;
  private transient Histogram queueMillis;
  private transient Histogram batchSizes;
  private transient Histogram scoringMillis;
  private transient Histogram emitWaitMillis;
  private transient Histogram emitMillis;
  private transient Histogram latencyMillis;

  public RecommendOperator(JobConfig config) {
    this.config = config;
  }

  @Override
  public void initializeState(StateInitializationContext ctx) throws Exception {
    super.initializeState(ctx);
    queueState = ctx.getOperatorStateStore().getListState(new ListStateDescriptor<>("pending-users", Pending.class));
    announced = ctx.getOperatorStateStore().getBroadcastState(ServedModel.ANNOUNCED);
    queue = new ScoringQueue<>();
    for (Pending p : queueState.get()) {
      queue.add(p); // restored users come first, in the order they were going to be emitted
    }
  }

  @Override
  public void open() throws Exception {
    super.open();
    batchSize = config.get(JobConfig.BATCH_SIZE);
    maxDelayNanos = config.get(JobConfig.BATCH_TIMEOUT).toNanos();
    joinDelayNanos = config.get(JobConfig.SCORING_JOIN_DELAY).toNanos();
    historyCap = config.get(JobConfig.HISTORY_CAP);
    topK = config.get(JobConfig.TOP_K);
    nice = config.get(JobConfig.SCORING_NICE);
    capacity = QUEUED_BATCHES * batchSize;
    ValueStateDescriptor<UserHistory> desc = new ValueStateDescriptor<>("history", UserHistorySerializer.INSTANCE);
    Duration ttl = config.get(JobConfig.STATE_TTL);
    if (!ttl.isZero()) {
      desc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
    }
    history = getRuntimeContext().getState(desc);
    ValueStateDescriptor<ServedList> liveDesc = new ValueStateDescriptor<>("last-live-list", ServedList.class);
    lastShadowDesc = new ValueStateDescriptor<>("last-shadow-list", ServedList.class);
    if (!ttl.isZero()) {
      liveDesc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
      lastShadowDesc.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
    }
    lastLive = getRuntimeContext().getState(liveDesc);
    lastShadow = getRuntimeContext().getState(lastShadowDesc);
    sampleBelow = (long) (config.get(JobConfig.SHADOW_SAMPLE) * SAMPLE_BUCKETS);
    modelName = config.get(JobConfig.MODEL_NAME);

    var metrics = getMetricGroup();
    recommendationsOut = metrics.counter("recommendationsOut");
    unchangedEvents = metrics.counter("unchangedEvents");
    arrivalMillis = metrics.histogram("arrivalMillis", new DescriptiveStatisticsHistogram(10_000));
    historyMicros = metrics.histogram("historyMicros", new DescriptiveStatisticsHistogram(10_000));
    queueMillis = metrics.histogram("queueMillis", new DescriptiveStatisticsHistogram(10_000));
    batchSizes = metrics.histogram("batchSize", new DescriptiveStatisticsHistogram(1000));
    scoringMillis = metrics.histogram("scoringMillis", new DescriptiveStatisticsHistogram(1000));
    emitWaitMillis = metrics.histogram("emitWaitMillis", new DescriptiveStatisticsHistogram(1000));
    emitMillis = metrics.histogram("emitMillis", new DescriptiveStatisticsHistogram(1000));
    latencyMillis = metrics.histogram("eventToEmitMillis", new DescriptiveStatisticsHistogram(10_000));
    metrics.gauge("usersWaiting", () -> queue.waiting());
    metrics.gauge("batchesInFlight", () -> queue.batchesInFlight());

    mailbox = getContainingTask().getMailboxExecutorFactory().createExecutor(getOperatorConfig().getChainIndex());
    DjlRuntime.configure(null, new DjlRuntime.Threads(1, 1));
    model = new ServedModel(config, metrics, r -> mailbox.execute(r::run, "model swap"),
        d -> output.collect(DeadLetters.TAG, new StreamRecord<>(d)), queue::wakeUp, this::dropShadowLists);
    model.start(announced);

    var task = getRuntimeContext().getTaskInfo();
    LOG.info("recommend subtask {} open, attempt {}", task.getIndexOfThisSubtask(), task.getAttemptNumber()); // attempt > 0: a restart
    scorers = new ArrayList<>();
    batchesByScorer = new Counter[scoringThreads(config)];
    for (int i = 0; i < batchesByScorer.length; i++) {
      int rank = i;
      batchesByScorer[i] = metrics.addGroup("scorer", Integer.toString(i)).counter("batches");
      Thread t = new Thread(() -> scoreLoop(rank), "recsys-scorer " + task.getIndexOfThisSubtask() + "." + i);
      t.setDaemon(true);
      t.start();
      scorers.add(t);
    }
  }

  /**
   * Scoring threads per subtask: the setting, or (0) the cores shared out among the job's subtasks,
   * so that two subtasks on one machine do not fight over its cores. (Between forward passes
   * PyTorch's threads must sleep rather than spin, or they take the cores from everything else: the
   * launchers set OMP_WAIT_POLICY=PASSIVE.)
   */
  static int scoringThreads(JobConfig config) {
    int set = config.get(JobConfig.SCORING_THREADS);
    return set > 0 ? set : Math.max(1, Runtime.getRuntime().availableProcessors() / config.get(JobConfig.PARALLELISM));
  }

  @Override
  public void processElement1(StreamRecord<Rating> element) throws Exception {
    Rating r = element.getValue();
    arrivalMillis.update(Math.max(0, System.currentTimeMillis() - r.publishedAt())); // Kafka, the source, parsing and the network
    long t0 = System.nanoTime();
    UserHistory h = history.value();
    if (h == null) {
      h = new UserHistory();
    }
    if (Interactions.isPositive(r.rating()) && !h.hasRated(r.movieId())) {
      observe(r.movieId());
    }
    boolean changed = h.apply(r.movieId(), r.rating(), r.timestamp(), historyCap);
    history.update(h); // a same-rating repeat still refreshes recency (and the TTL)
    historyMicros.update((System.nanoTime() - t0) / 1000);
    if (!changed) {
      unchangedEvents.inc();
      return;
    }
    while (queue.size() >= capacity) {
      mailbox.yield(); // backpressure: emit what the scorer has finished first
    }
    queue.add(new Pending(r.userId(), h, r, System.currentTimeMillis()));
  }

  @Override
  public void processElement2(StreamRecord<ModelUpdateEvent> element) throws Exception {
    model.announced(element.getValue(), announced);
  }

  @Override
  public void snapshotState(StateSnapshotContext ctx) throws Exception {
    super.snapshotState(ctx);
    queueState.update(queue.unemitted());
  }

  /** At the end of bounded input, everyone still waiting is scored and emitted first. */
  @Override
  public void endInput(int inputId) throws Exception {
    if (inputId != 1) {
      return;
    }
    while (queue.size() > 0) {
      if (model.current() == null) {
        LOG.warn("input ended with {} users waiting and no model to score them", queue.size());
        return;
      }
      mailbox.yield();
    }
  }

  @Override
  public void close() throws Exception {
    try {
      if (queue != null) {
        queue.close();
      }
      if (scorers != null) {
        for (Thread t : scorers) {
          t.interrupt();
        }
        for (Thread t : scorers) {
          t.join(60_000);
        }
      }
      if (batchSizes != null && batchSizes.getCount() > 0) {
        LOG.info("scored {} users in {} batches: mean batch {}, mean scoring {} ms, p99 event-to-emit {} ms",
            recommendationsOut.getCount(), batchSizes.getCount(), String.format("%.1f", batchSizes.getStatistics().getMean()),
            String.format("%.1f", scoringMillis.getStatistics().getMean()), (long) latencyMillis.getStatistics().getQuantile(0.99));
      }
    } finally {
      if (model != null) {
        model.close();
      }
      super.close();
    }
  }

  /** Test hook: waits for a background model load. */
  void awaitModelLoad() {
    model.awaitLoader();
  }

  /** Test hook: users added and not yet emitted. */
  int unemitted() {
    return queue.size();
  }

  /** Test hook: how many batches each scorer took, by rank. */
  long[] batchesByScorer() {
    return Arrays.stream(batchesByScorer).mapToLong(Counter::getCount).toArray();
  }

  /** Test hook: the sizes of the batches scored so far (the last thousand, in no particular order). */
  List<Long> batchSizes() {
    return Arrays.stream(batchSizes.getStatistics().getValues()).boxed().toList();
  }

  /** Where the newly, positively rated movie stood in the user's last lists: observations for OnlineMetrics. */
  private void observe(long movieId) throws Exception {
    ServedList live = lastLive.value();
    if (live == null) {
      return; // no list yet: nothing was predicted
    }
    int liveRank = live.rank(movieId);
    observed(Observation.event(modelName, ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, live.version, 0, liveRank, 0));
    ServedModel.Loaded s = model.shadow();
    ServedList shadow = s == null ? null : lastShadow.value();
    if (shadow == null || shadow.version != s.version()) {
      return;
    }
    int shadowRank = shadow.rank(movieId);
    observed(Observation.event(modelName, ModelMetricsEvent.VERSION, ModelMetricsEvent.SHADOW, shadow.version, 0, shadowRank, 0));
    if (shadow.baselineVersion == live.version) { // both lists came from the same batch
      observed(Observation.event(modelName, ModelMetricsEvent.COMPARISON, ModelMetricsEvent.SHADOW, shadow.version, live.version, shadowRank, liveRank));
    }
  }

  private void observed(Observation o) {
    output.collect(OnlineMetrics.OBSERVATIONS, new StreamRecord<>(o));
  }

  /** Whether a shadow scores this user: a fixed share of users, the same ones all along. */
  private boolean sampled(long userId) {
    long h = userId * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads consecutive ids
    return (h >>> 44) < sampleBelow;
  }

  /** The shadow ended or changed: its lists say nothing any more (a pass over every key's state). */
  private void dropShadowLists() {
    try {
      getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, lastShadowDesc,
          (key, state) -> state.clear());
    } catch (Exception e) {
      throw new FlinkRuntimeException("could not drop the ended shadow's lists", e);
    }
  }

  /**
   * Step 3, on each scoring thread: batches as they come, each handed to the mailbox when scored.
   * The scorer of rank {@code rank} waits {@code rank} join delays longer than the first.
   */
  private void scoreLoop(int rank) {
    long delayNanos = maxDelayNanos + rank * joinDelayNanos;
    try {
      DjlRuntime.useIntraOpThreads(1); // this thread did not load the engine
      if (nice > 0) {
        ThreadNiceness.set(nice);
      }
      while (true) {
        ScoringQueue.Batch b = queue.take(batchSize, delayNanos, () -> model.current() != null);
        if (b == null) {
          return;
        }
        batchesByScorer[rank].inc();
        Scored scored = score(b);
        mailbox.execute(() -> {
          for (Scored due : queue.finished(b, scored)) {
            emit(due);
          }
        }, "emit recommendations");
      }
    } catch (InterruptedException | RejectedExecutionException e) {
      // closing
    } catch (Throwable t) {
      try {
        mailbox.execute(() -> {
          throw new FlinkRuntimeException("scoring failed", t);
        }, "scoring failure");
      } catch (RejectedExecutionException closing) {
        LOG.warn("scoring failed while the task was closing", t);
      }
    }
  }

  /** A batch's lists from the model in service, and from the shadow for its sampled users, if one runs. */
  private record Scored(ScoringQueue.Batch batch, ServedModel.Loaded model, List<Recommendations> recs, long scoredNanos,
      Shadowed shadowed, long readyAt) {}

  /** Step 3's work on one batch (scoring thread). */
  private Scored score(ScoringQueue.Batch b) {
    ServedModel.Loaded m = model.acquire();
    try {
      long t0 = System.nanoTime();
      List<UserQuery> queries = new ArrayList<>(b.users().size());
      for (Pending p : b.users()) {
        queries.add(new UserQuery(p.positives, p.rated));
      }
      List<Recommendations> recs = m.scorer().score(queries, topK);
      long scoredNanos = System.nanoTime() - t0;
      return new Scored(b, m, recs, scoredNanos, scoreShadow(b, queries), System.nanoTime());
    } finally {
      model.release();
    }
  }

  /** A shadow's lists for the sampled users of a batch: {@code at[j]} is the batch index of {@code recs[j]}. */
  private record Shadowed(ServedModel.Loaded model, int[] at, List<Recommendations> recs, long nanos) {}

  /** The same batch's sampled users through the shadow, if one runs (scoring thread). */
  private Shadowed scoreShadow(ScoringQueue.Batch b, List<UserQuery> queries) {
    ServedModel.Loaded s = model.shadow();
    if (s == null) {
      return null;
    }
    int[] at = new int[b.users().size()];
    int n = 0;
    List<UserQuery> picked = new ArrayList<>();
    for (int i = 0; i < at.length; i++) {
      if (sampled(b.users().get(i).userId)) {
        at[n++] = i;
        picked.add(queries.get(i));
      }
    }
    if (n == 0) {
      return null;
    }
    long t0 = System.nanoTime();
    List<Recommendations> recs = s.scorer().score(picked, topK);
    return new Shadowed(s, Arrays.copyOf(at, n), recs, System.nanoTime() - t0);
  }

  private static long[] movieIds(Recommendations r) {
    long[] ids = new long[r.items().size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = r.items().get(i).movieId();
    }
    return ids;
  }

  /** Step 4, on the task thread. */
  private void emit(Scored scored) throws Exception {
    ScoringQueue.Batch b = scored.batch();
    ServedModel.Loaded m = scored.model();
    List<Recommendations> recs = scored.recs();
    Shadowed shadowed = scored.shadowed();
    long t0 = System.nanoTime();
    emitWaitMillis.update((t0 - scored.readyAt()) / 1_000_000); // the task thread was busy, or a batch taken earlier was still scoring
    long now = System.currentTimeMillis();
    long takenAt = now - (t0 - b.takenAtNanos()) / 1_000_000;
    batchSizes.update(b.users().size());
    scoringMillis.update(scored.scoredNanos() / 1_000_000);
    for (int i = 0; i < b.users().size(); i++) {
      Pending p = b.users().get(i);
      Recommendations r = recs.get(i);
      List<RecommendationEvent.Item> items = new ArrayList<>(r.items().size());
      for (ScoredItem s : r.items()) {
        items.add(new RecommendationEvent.Item(s.movieId(), s.score()));
      }
      output.collect(new StreamRecord<>(new RecommendationEvent(p.userId, m.name(), m.version(), items, p.triggerTimestamp, now,
          r.fallback(), p.triggerPublishedAt, p.triggerPartition, p.triggerOffset)));
      queueMillis.update(Math.max(0, takenAt - p.arrivedAt));
      latencyMillis.update(now - p.triggerPublishedAt);
      setCurrentKey(p.userId);
      lastLive.update(new ServedList(m.version(), 0, movieIds(r)));
    }
    String name = m.name();
    observed(Observation.cost(name, ModelMetricsEvent.LIVE, m.version(), b.users().size(), scored.scoredNanos()));
    if (shadowed != null && shadowed.model() == model.shadow()) { // not ended meanwhile
      int sv = shadowed.model().version();
      for (int j = 0; j < shadowed.at().length; j++) {
        setCurrentKey(b.users().get(shadowed.at()[j]).userId);
        lastShadow.update(new ServedList(sv, m.version(), movieIds(shadowed.recs().get(j))));
      }
      observed(Observation.cost(name, ModelMetricsEvent.SHADOW, sv, shadowed.at().length, shadowed.nanos()));
    }
    recommendationsOut.inc(b.users().size());
    emitMillis.update((System.nanoTime() - t0) / 1_000_000);
  }
}
