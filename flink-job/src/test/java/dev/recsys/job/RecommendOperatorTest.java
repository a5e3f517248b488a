package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The operator's rules, driven through Flink's operator test harness with its mailbox. */
class RecommendOperatorTest {

  @TempDir Path tmp;
  Path registry;
  ModelRegistry.Version v1;
  long offset;

  @BeforeEach
  void registry() throws Exception {
    registry = tmp.resolve("registry");
    v1 = TestRegistry.publish(registry, 1);
  }

  JobConfig config(int batch) {
    return JobConfig.defaults()
        .set(JobConfig.REGISTRY, registry.toString())
        .set(JobConfig.MODEL_NAME, TestRegistry.NAME)
        .set(JobConfig.BATCH_SIZE, batch)
        .set(JobConfig.HISTORY_CAP, 4)
        .set(JobConfig.TOP_K, 5)
        .set(JobConfig.SCORING_THREADS, 1);
  }

  record Run(KeyedTwoInputStreamOperatorTestHarness<Long, Rating, ModelUpdateEvent, RecommendationEvent> h, RecommendOperator op)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      h.close();
    }

    List<RecommendationEvent> out() {
      return h.extractOutputValues();
    }

    /** The movieIds of each list emitted so far, in order. */
    List<List<Long>> lists() {
      return out().stream().map(e -> e.items().stream().map(RecommendationEvent.Item::movieId).toList()).toList();
    }

    List<DeadLetterEvent> deadLetters() {
      return h.getSideOutput(DeadLetters.TAG) == null ? List.of() : h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
    }
  }

  Run start(JobConfig c, OperatorSubtaskState restore) throws Exception {
    return start(c, restore, null);
  }

  /** With {@code backend} null, the harness's heap state; else that backend (RocksDB for the real layout). */
  Run start(JobConfig c, OperatorSubtaskState restore, StateBackend backend) throws Exception {
    RecommendOperator op = new RecommendOperator(c);
    var h = new KeyedTwoInputStreamOperatorTestHarness<Long, Rating, ModelUpdateEvent, RecommendationEvent>(op, Rating::userId, null, Types.LONG);
    if (backend != null) {
      h.setStateBackend(backend);
    }
    h.setup();
    if (restore != null) {
      h.initializeState(restore);
    }
    h.open();
    return new Run(h, op);
  }

  StreamRecord<Rating> rating(long user, long movie, float stars, long ts) {
    return new StreamRecord<>(new Rating(user, movie, stars, ts, ts, 0, offset++));
  }

  /** Runs the mailbox (the task thread's side) until nobody waits to be emitted, or for at most a while. */
  static void settle(Run r) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    TaskMailbox mailbox = r.h().getTaskMailbox();
    while (System.nanoTime() < deadline) {
      Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
      if (mail.isPresent()) {
        mail.get().run();
      } else if (r.op().unemitted() == 0) {
        return;
      } else {
        Thread.sleep(1);
      }
    }
  }

  /** Runs mails for a while without expecting the queue to empty (users waiting for a model). */
  static void runMailsFor(Run r, Duration d) throws Exception {
    long deadline = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<Mail> mail = r.h().getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY);
      if (mail.isPresent()) {
        mail.get().run();
      } else {
        Thread.sleep(1);
      }
    }
  }

  private List<Long> expected(long[] positives, long[] rated) throws Exception {
    try (Scorer s = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
      return s.score(new UserQuery(positives, rated), 5).items().stream().map(ScoredItem::movieId).toList();
    }
  }

  @Test
  void aShadowsListsAreKeptOnlyForSampledUsersAndDroppedWhenItEnds() throws Exception {
    ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
    ModelRegistry reg = new ModelRegistry(registry);
    reg.promote(TestRegistry.NAME, 1);
    reg.startShadow(TestRegistry.NAME, 2);
    try (Run r = start(config(4).set(JobConfig.SHADOW_SAMPLE, 0.5), null)) {
      for (long u = 1; u <= 200; u++) {
        r.h().processElement1(rating(u, 1 + u % 50, 5f, u));
      }
      settle(r);
      assertEquals(200, r.out().size());
      assertTrue(r.out().stream().allMatch(e -> e.modelVersion() == 1), "only the live version reaches the output");
      var backend = r.op().getKeyedStateBackend();
      assertEquals(200, backend.getKeys("last-live-list", org.apache.flink.runtime.state.VoidNamespace.INSTANCE).count());
      long shadowed = backend.getKeys("last-shadow-list", org.apache.flink.runtime.state.VoidNamespace.INSTANCE).count();
      assertTrue(shadowed > 70 && shadowed < 130, "about half the users are sampled: " + shadowed);

      reg.endShadow(TestRegistry.NAME);
      r.h().processElement2(new StreamRecord<>(dev.recsys.contracts.ModelUpdateEvent.of(TestRegistry.NAME, 2, v2.dir(), v2.sha256(),
          v2.modelType(), System.currentTimeMillis(), dev.recsys.contracts.ModelUpdateEvent.END_SHADOW)));
      assertEquals(0, backend.getKeys("last-shadow-list", org.apache.flink.runtime.state.VoidNamespace.INSTANCE).count(),
          "the ended shadow's lists are gone");
      assertEquals(200, backend.getKeys("last-live-list", org.apache.flink.runtime.state.VoidNamespace.INSTANCE).count());
    }
  }

  @Test
  void scoresWithTheScorerAndExcludesEveryRatedItem() throws Exception {
    try (Run r = start(config(1), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      settle(r);
      r.h().processElement1(rating(1, 11, 2f, 2)); // rated, not positive: excluded but not an input
      settle(r);
      r.h().processElement1(rating(1, 12, 4f, 3));
      settle(r);
      List<RecommendationEvent> out = r.out();
      assertEquals(3, out.size());
      RecommendationEvent last = out.get(2);
      assertEquals(1, last.userId());
      assertEquals(v1.version(), last.modelVersion());
      assertEquals(3, last.triggerTimestamp());
      assertEquals(List.of(0L, 1L, 2L), out.stream().map(RecommendationEvent::triggerOffset).toList(), "each list names its trigger");
      assertFalse(last.fallback());
      assertEquals(expected(new long[] {10, 12}, new long[] {10, 11, 12}), last.items().stream().map(RecommendationEvent.Item::movieId).toList());
      try (Scorer s = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        Recommendations exp = s.score(new UserQuery(new long[] {10, 12}, new long[] {10, 11, 12}), 5);
        assertEquals(exp.items().get(0).score(), last.items().get(0).score(), 1e-6);
      }
      assertThat(out.get(0).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L);
      assertThat(out.get(1).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L);
      assertThat(last.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L, 12L);
    }
  }

  @Test
  void scoresInTwoStagesWhenSetTo() throws Exception {
    // rank 1 and no more candidates than the top-k: a coarse approximation, so that its lists differ from exact ones
    JobConfig c = config(1).set(JobConfig.SCORING_MODE, JobConfig.ScoringModeOption.TWO_STAGE).set(JobConfig.TWO_STAGE_RANK, 1)
        .set(JobConfig.TWO_STAGE_CANDIDATES, 5);
    int differing = 0;
    try (Run r = start(c, null);
        Scorer exact = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu());
        Scorer twoStage = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu(), ScoringMode.twoStage(1, 5))) {
      for (int u = 1; u <= 20; u++) {
        r.h().processElement1(rating(u, u, 5f, u));
        r.h().processElement1(rating(u, 30 + u, 4.5f, u));
        settle(r);
      }
      Map<Long, List<Long>> last = new HashMap<>();
      for (RecommendationEvent e : r.out()) {
        last.put(e.userId(), e.items().stream().map(RecommendationEvent.Item::movieId).toList());
      }
      assertEquals(20, last.size());
      for (int u = 1; u <= 20; u++) {
        UserQuery q = UserQuery.ofItems(u, 30 + u);
        List<Long> want = twoStage.score(q, 5).items().stream().map(ScoredItem::movieId).toList();
        assertEquals(want, last.get((long) u), "user " + u);
        differing += want.equals(exact.score(q, 5).items().stream().map(ScoredItem::movieId).toList()) ? 0 : 1;
      }
    }
    assertThat(differing).as("users whose two-stage list differs from the exact one").isPositive();
  }

  @Test
  void stateRulesThresholdReRatingDuplicatesAndCap() throws Exception {
    try (Run r = start(config(1), null)) {
      r.h().processElement1(rating(5, 20, 3.5f, 1)); // not positive: fallback (nothing known)
      settle(r);
      assertTrue(r.out().get(0).fallback());
      r.h().processElement1(rating(5, 21, 4f, 2));
      settle(r);
      assertFalse(r.out().get(1).fallback());
      r.h().processElement1(rating(5, 21, 4f, 2)); // duplicate: no new recommendation
      settle(r);
      assertEquals(2, r.out().size());
      r.h().processElement1(rating(5, 21, 1f, 3)); // lower re-rating: no positives left -> fallback again
      settle(r);
      RecommendationEvent e = r.out().get(2);
      assertTrue(e.fallback());
      assertThat(e.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(20L, 21L);
      // cap 4: after 5 more ratings the 4 most recent are the input, and every rated movie stays excluded
      for (int m = 30; m < 35; m++) {
        r.h().processElement1(rating(5, m, 5f, 10 + m));
        settle(r);
      }
      RecommendationEvent capped = r.out().get(r.out().size() - 1);
      long[] all = {20, 21, 30, 31, 32, 33, 34};
      List<Long> expected = expected(new long[] {31, 32, 33, 34}, all);
      assertEquals(expected, capped.items().stream().map(RecommendationEvent.Item::movieId).toList());
      assertThat(capped.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(20L, 21L, 30L);
      assertThat(expected(new long[] {30, 31, 32, 33, 34}, all))
          .as("the check can tell a capped input from an uncapped one").isNotEqualTo(expected);
    }
  }

  @Test
  void aFreeScorerTakesWhateverWaitsUpToTheBatchSizeAndCoalescesAUsersRatings() throws Exception {
    Path empty = tmp.resolve("empty-registry");
    Files.createDirectories(empty);
    JobConfig c = config(4).set(JobConfig.REGISTRY, empty.toString());
    try (Run r = start(c, null)) {
      // no model yet: users wait
      for (long u = 1; u <= 10; u++) {
        r.h().processElement1(rating(u, 10, 5f, u));
      }
      r.h().processElement1(rating(3, 12, 5f, 11)); // user 3 again while waiting: one scoring of the newer history
      runMailsFor(r, Duration.ofMillis(200));
      assertEquals(0, r.out().size(), "no model, no recommendation, nobody dropped");
      assertEquals(10, r.op().unemitted());

      ModelRegistry.Version m = TestRegistry.publish(empty, 7);
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(m)));
      r.op().awaitModelLoad();
      settle(r);
      List<RecommendationEvent> out = r.out();
      assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), out.stream().map(RecommendationEvent::userId).toList(), "in arrival order");
      assertEquals(11, out.get(2).triggerTimestamp(), "user 3 scored once, on the newer history");
      assertThat(out.get(2).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 12L);
      assertThat(r.op().batchSizes()).as("the waiting users, in batches of at most 4").containsExactlyInAnyOrder(4L, 4L, 2L);
    }
  }

  @Test
  void aFreeScorerWaitsAtMostTheBatchTimeoutForAFullerBatch() throws Exception {
    try (Run r = start(config(3).set(JobConfig.BATCH_TIMEOUT, Duration.ofSeconds(30)), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      r.h().processElement1(rating(2, 10, 5f, 2));
      runMailsFor(r, Duration.ofMillis(200));
      assertEquals(0, r.out().size(), "2 users < batch of 3, and the timeout is far");
      r.h().processElement1(rating(3, 10, 5f, 3));
      settle(r);
      assertEquals(3, r.out().size());
      assertEquals(List.of(3L), r.op().batchSizes());
    }
    try (Run r = start(config(3).set(JobConfig.BATCH_TIMEOUT, Duration.ofMillis(50)), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      settle(r);
      assertEquals(1, r.out().size(), "the timeout passed: the one waiting user is scored alone");
    }
  }

  @Test
  void aSecondScorerStaysOutWhileTheFirstKeepsUp() throws Exception {
    JobConfig c = config(8).set(JobConfig.SCORING_THREADS, 2).set(JobConfig.BATCH_TIMEOUT, Duration.ZERO)
        .set(JobConfig.SCORING_JOIN_DELAY, Duration.ofSeconds(30));
    try (Run r = start(c, null)) {
      r.op().awaitModelLoad();
      for (long u = 1; u <= 20; u++) {
        r.h().processElement1(rating(u, 10, 5f, u));
        settle(r); // one user at a time: the first scorer is free for each
      }
      assertEquals(20, r.out().size());
      assertArrayEquals(new long[] {20, 0}, r.op().batchesByScorer(), "the second scorer waits 30 s longer for a partial batch");
    }
  }

  @ParameterizedTest(name = "{0} scoring thread(s)")
  @ValueSource(ints = {1, 3})
  void aUsersListsAreEmittedInTheOrderOfTheirRatingsUnderLoad(int scoringThreads) throws Exception {
    SplittableRandom rnd = new SplittableRandom(4);
    Map<Long, UserHistory> histories = new HashMap<>();
    try (Run r = start(config(8).set(JobConfig.SCORING_THREADS, scoringThreads), null)) {
      for (int i = 0; i < 400; i++) {
        long user = 1 + rnd.nextInt(12);
        StreamRecord<Rating> rec = rating(user, 1 + rnd.nextInt(TestRegistry.ITEMS), 0.5f * (1 + rnd.nextInt(10)), 100 + i);
        histories.computeIfAbsent(user, u -> new UserHistory()).apply(rec.getValue().movieId(), rec.getValue().rating(), rec.getValue().timestamp(), 4);
        r.h().processElement1(rec);
        if (i % 7 == 0) {
          Optional<Mail> mail = r.h().getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY); // emission interleaves with input
          if (mail.isPresent()) {
            mail.get().run();
          }
        }
      }
      settle(r);
      Map<Long, List<RecommendationEvent>> perUser = r.out().stream().collect(Collectors.groupingBy(RecommendationEvent::userId));
      assertEquals(12, perUser.size());
      for (Map.Entry<Long, List<RecommendationEvent>> e : perUser.entrySet()) {
        List<Long> offsets = e.getValue().stream().map(RecommendationEvent::triggerOffset).toList();
        assertThat(offsets).as("user %d", e.getKey()).isSorted().doesNotHaveDuplicates();
        RecommendationEvent last = e.getValue().get(e.getValue().size() - 1);
        UserHistory h = histories.get(e.getKey());
        assertEquals(expected(h.positives(), h.rated()), last.items().stream().map(RecommendationEvent.Item::movieId).toList(), "user " + e.getKey());
      }
      assertThat(r.op().batchSizes()).allMatch(b -> b >= 1 && b <= 8);
    }
  }

  @Test
  void batchesScoredOnSeveralThreadsButNotYetEmittedSurviveACheckpointAndRestore() throws Exception {
    OperatorSubtaskState snapshot;
    List<Long> before;
    // every scorer takes at once, so that several batches are in flight together
    JobConfig c = config(2).set(JobConfig.SCORING_THREADS, 3).set(JobConfig.SCORING_JOIN_DELAY, Duration.ZERO);
    try (Run r = start(c, null)) {
      r.op().awaitModelLoad();
      for (long u = 1; u <= 30; u++) {
        r.h().processElement1(rating(u, 10 + u, 5f, u));
      }
      // the scorers finish the batches in flight; their emission (a mail each) does not run before
      // the snapshot, so at least the last user, added after the last mail ran, is not out yet
      Thread.sleep(1000);
      before = r.out().stream().map(RecommendationEvent::userId).toList();
      snapshot = r.h().snapshot(1, 1);
    }
    assertThat(before).as("emitted in the order taken").isSorted().hasSizeLessThan(30);
    try (Run r = start(c, snapshot)) {
      settle(r);
      List<Long> after = r.out().stream().map(RecommendationEvent::userId).toList();
      assertThat(after).as("every user not emitted before the checkpoint, once, in order").isSorted().doesNotHaveDuplicates()
          .doesNotContainAnyElementsOf(before);
      assertEquals(30, before.size() + after.size());
    }
  }

  @Test
  void usersNotYetEmittedSurviveACheckpointAndRestore() throws Exception {
    Path empty = tmp.resolve("empty-registry");
    Files.createDirectories(empty);
    OperatorSubtaskState snapshot;
    try (Run r = start(config(10).set(JobConfig.REGISTRY, empty.toString()), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      r.h().processElement1(rating(2, 11, 5f, 2));
      runMailsFor(r, Duration.ofMillis(50));
      snapshot = r.h().snapshot(1, 1);
      assertEquals(0, r.out().size());
    }
    // the restored job has a model: the users who were waiting are scored first
    ModelRegistry.Version m = TestRegistry.publish(empty, 1);
    try (Run r = start(config(10).set(JobConfig.REGISTRY, empty.toString()), snapshot)) {
      settle(r);
      assertEquals(List.of(1L, 2L), r.out().stream().map(RecommendationEvent::userId).toList());
      assertThat(r.out()).allMatch(e -> e.modelVersion() == m.version());
      // and the keyed history came back too
      r.h().processElement1(rating(1, 13, 5f, 3));
      settle(r);
      assertThat(r.out().get(2).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 13L);
    }
  }

  @Test
  void swapsToAnnouncedVersionAndRefusesACorruptOne() throws Exception {
    try (Run r = start(config(1), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      settle(r);
      assertEquals(1, r.out().get(0).modelVersion());

      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(v2)));
      r.op().awaitModelLoad();
      runMailsFor(r, Duration.ofMillis(20)); // the swap arrives as a mail
      r.h().processElement1(rating(1, 11, 5f, 2));
      settle(r);
      assertEquals(2, r.out().get(1).modelVersion());

      ModelRegistry.Version v3 = TestRegistry.publish(registry, 3);
      TestRegistry.corrupt(v3);
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(v3)));
      r.op().awaitModelLoad();
      runMailsFor(r, Duration.ofMillis(20));
      r.h().processElement1(rating(1, 12, 5f, 3));
      settle(r);
      assertEquals(2, r.out().get(2).modelVersion(), "v2 keeps serving");
      assertEquals(1, r.deadLetters().size());
      assertThat(r.deadLetters().get(0).error()).contains("v3").contains("SHA-256 mismatch").contains("still serving v2");

      // an announcement pointing outside the registry is refused too
      r.h().processElement2(new StreamRecord<>(new ModelUpdateEvent(TestRegistry.NAME, 4, tmp.resolve("elsewhere").toUri().toString(), v2.sha256(), "dae", 4, "publish")));
      r.op().awaitModelLoad();
      runMailsFor(r, Duration.ofMillis(20));
      assertThat(r.deadLetters().get(1).error()).contains("outside the registry root");
      // an older announcement arriving late changes nothing
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(v1)));
      r.h().processElement1(rating(1, 14, 5f, 4));
      settle(r);
      assertEquals(2, r.out().get(3).modelVersion());
    }
  }

  /**
   * A checkpoint from before {@link UserHistorySerializer} holds the histories as Flink POJOs.
   * Restored into RocksDB, they migrate: the user's earlier ratings still shape the next list (the
   * positive one as input, the low one excluded), and the migrated state checkpoints and restores
   * again.
   */
  @Test
  void historiesCheckpointedAsPojosMigrateInRocksDbAndStillShapeTheNextList() throws Exception {
    Duration ttl = JobConfig.defaults().get(JobConfig.STATE_TTL);
    KeyedProcessFunction<Long, Long, Object> before = new KeyedProcessFunction<>() {
      private transient ValueState<UserHistory> history;

      @Override
      public void open(OpenContext ctx) {
        ValueStateDescriptor<UserHistory> d = new ValueStateDescriptor<>("history", UserHistory.class); // the POJO form
        d.enableTimeToLive(StateTtlConfig.newBuilder(ttl).cleanupInRocksdbCompactFilter(1000).build());
        history = getRuntimeContext().getState(d);
      }

      @Override
      public void processElement(Long user, Context ctx, Collector<Object> out) throws Exception {
        UserHistory h = new UserHistory();
        h.apply(10, 5f, 1, 500);
        h.apply(11, 2f, 2, 500);
        history.update(h);
      }
    };
    OperatorSubtaskState pojos;
    try (var h = new KeyedOneInputStreamOperatorTestHarness<Long, Long, Object>(new KeyedProcessOperator<>(before), u -> u, Types.LONG)) {
      h.setStateBackend(new EmbeddedRocksDBStateBackend());
      h.open();
      h.processElement(new StreamRecord<>(1L));
      pojos = h.snapshot(1, 1);
    }
    List<Long> expected = expected(new long[] {10, 12}, new long[] {10, 11, 12});
    OperatorSubtaskState migrated;
    try (Run r = start(config(1), pojos, new EmbeddedRocksDBStateBackend())) {
      r.h().processElement1(rating(1, 12, 5f, 3));
      settle(r);
      assertEquals(List.of(expected), r.lists());
      migrated = r.h().snapshot(2, 2);
    }
    try (Run r = start(config(1), migrated, new EmbeddedRocksDBStateBackend())) {
      r.h().processElement1(rating(1, 12, 5f, 3)); // the same rating again: a duplicate of what the state holds
      r.h().processElement1(rating(1, 13, 1f, 4));
      settle(r);
      assertEquals(List.of(expected(new long[] {10, 12}, new long[] {10, 11, 12, 13})), r.lists());
    }
  }

  @Test
  void aRestoredJobServesTheVersionInItsBroadcastState() throws Exception {
    OperatorSubtaskState snapshot;
    try (Run r = start(config(1), null)) {
      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(v2)));
      r.op().awaitModelLoad();
      runMailsFor(r, Duration.ofMillis(20));
      r.h().processElement1(rating(1, 10, 5f, 1));
      settle(r);
      assertEquals(2, r.out().get(0).modelVersion());
      snapshot = r.h().snapshot(1, 1);
    }
    // meanwhile the registry's pointer moved back to v1 without an announcement: the restored job
    // serves what its state recorded
    new ModelRegistry(registry).promote(TestRegistry.NAME, 1);
    try (Run r = start(config(1), snapshot)) {
      r.h().processElement1(rating(1, 11, 5f, 2));
      settle(r);
      assertEquals(2, r.out().get(0).modelVersion());
    }
  }

  @Test
  void startsWithoutAModelWhenTheCurrentOneIsCorruptAndServesTheWaitingUsersOnAnnouncement() throws Exception {
    TestRegistry.corrupt(v1);
    try (Run r = start(config(1), null)) {
      r.h().processElement1(rating(1, 10, 5f, 1));
      r.h().processElement1(rating(2, 10, 5f, 1));
      runMailsFor(r, Duration.ofMillis(100));
      assertEquals(0, r.out().size(), "no model, no recommendation (and no crash)");
      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      r.h().processElement2(new StreamRecord<>(TestRegistry.announcement(v2)));
      r.op().awaitModelLoad();
      settle(r);
      r.h().processElement1(rating(1, 11, 5f, 2));
      settle(r);
      List<RecommendationEvent> out = r.out();
      assertEquals(List.of(1L, 2L, 1L), out.stream().map(RecommendationEvent::userId).toList());
      assertEquals(List.of(1L, 1L, 2L), out.stream().map(RecommendationEvent::triggerTimestamp).toList());
      assertThat(out).allMatch(e -> e.modelVersion() == 2);
      assertThat(out.get(2).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L);
    }
  }

  @Test
  void automaticScoringThreadsShareTheCoresAmongParallelScorers() {
    int cores = Runtime.getRuntime().availableProcessors();
    assertEquals(Math.max(1, cores / 2), RecommendOperator.scoringThreads(config(1).set(JobConfig.SCORING_THREADS, 0).set(JobConfig.PARALLELISM, 2)));
    assertEquals(cores, RecommendOperator.scoringThreads(config(1).set(JobConfig.SCORING_THREADS, 0).set(JobConfig.PARALLELISM, 1)));
    assertEquals(3, RecommendOperator.scoringThreads(config(1).set(JobConfig.SCORING_THREADS, 3)));
  }
}
