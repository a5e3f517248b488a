package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
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
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process function's rules, driven through Flink's operator test harness. */
class RecommendFunctionTest {

  @TempDir Path tmp;
  Path registry;
  ModelRegistry.Version v1;

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
        .set(JobConfig.BATCH_TIMEOUT, Duration.ofMillis(20))
        .set(JobConfig.HISTORY_CAP, 4)
        .set(JobConfig.TOP_K, 5);
  }

  KeyedBroadcastOperatorTestHarness<Long, Rating, ModelUpdateEvent, RecommendationEvent> harness(JobConfig c) throws Exception {
    var h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(
        new RecommendFunction(c), Rating::userId, Types.LONG, ServedModel.ANNOUNCED);
    return h;
  }

  static StreamRecord<Rating> rating(long user, long movie, float stars, long ts) {
    return new StreamRecord<>(new Rating(user, movie, stars, ts, ts));
  }

  @Test
  void scoresWithTheScorerAndExcludesEveryRatedItem() throws Exception {
    try (var h = harness(config(1))) {
      h.processElement(rating(1, 10, 5f, 1));
      h.processElement(rating(1, 11, 2f, 2)); // rated, not positive: excluded but not an input
      h.processElement(rating(1, 12, 4f, 3));
      List<RecommendationEvent> out = h.extractOutputValues();
      assertEquals(3, out.size());
      RecommendationEvent last = out.get(2);
      assertEquals(1, last.userId());
      assertEquals(v1.version(), last.modelVersion());
      assertEquals(3, last.triggerTimestamp());
      assertFalse(last.fallback());
      try (Scorer s = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        Recommendations expected = s.score(new UserQuery(new long[] {10, 12}, new long[] {10, 11, 12}), 5);
        assertEquals(expected.items().stream().map(ScoredItem::movieId).toList(), last.items().stream().map(RecommendationEvent.Item::movieId).toList());
      }
      // each recommendation excludes what was rated up to its trigger
      assertThat(out.get(0).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L);
      assertThat(out.get(1).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L);
      assertThat(last.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L, 12L);
    }
  }

  @Test
  void stateRulesThresholdReRatingDuplicatesAndCap() throws Exception {
    try (var h = harness(config(1))) {
      h.processElement(rating(5, 20, 3.5f, 1)); // not positive: fallback (nothing known)
      assertTrue(h.extractOutputValues().get(0).fallback());
      h.processElement(rating(5, 21, 4f, 2));
      assertFalse(h.extractOutputValues().get(1).fallback());
      h.processElement(rating(5, 21, 4f, 2)); // duplicate: no new recommendation
      assertEquals(2, h.extractOutputValues().size());
      h.processElement(rating(5, 21, 1f, 3)); // lower re-rating: no positives left -> fallback again
      RecommendationEvent e = h.extractOutputValues().get(2);
      assertTrue(e.fallback());
      assertThat(e.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(20L, 21L);
      // cap 4: after 5 more ratings only the 4 most recent remain, as input and as exclusions
      for (int m = 30; m < 35; m++) {
        h.processElement(rating(5, m, 5f, 10 + m));
      }
      RecommendationEvent capped = h.extractOutputValues().get(h.extractOutputValues().size() - 1);
      long[] kept = {31, 32, 33, 34};
      try (Scorer s = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        List<Long> expected = s.score(new UserQuery(kept, kept), 5).items().stream().map(ScoredItem::movieId).toList();
        assertEquals(expected, capped.items().stream().map(RecommendationEvent.Item::movieId).toList());
        List<Long> uncapped = s.score(new UserQuery(new long[] {30, 31, 32, 33, 34}, new long[] {20, 21, 30, 31, 32, 33, 34}), 5)
            .items().stream().map(ScoredItem::movieId).toList();
        assertThat(uncapped).as("the check can tell a capped history from an uncapped one").isNotEqualTo(expected);
      }
    }
  }

  @Test
  void batchesBySizeOrTimeoutAndCoalescesAUsersEvents() throws Exception {
    try (var h = harness(config(3))) {
      h.setProcessingTime(0);
      h.processElement(rating(1, 10, 5f, 1));
      h.processElement(rating(1, 12, 5f, 2)); // same user: coalesced
      h.processElement(rating(2, 10, 5f, 3));
      assertEquals(0, h.extractOutputValues().size(), "2 distinct users < batch of 3");
      h.processElement(rating(3, 10, 5f, 4));
      List<RecommendationEvent> out = h.extractOutputValues();
      assertEquals(3, out.size(), "flushed at 3 users");
      RecommendationEvent u1 = out.stream().filter(r -> r.userId() == 1).findFirst().orElseThrow();
      assertEquals(2, u1.triggerTimestamp(), "scored on the latest history");
      assertThat(u1.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 12L);

      h.processElement(rating(4, 10, 5f, 5));
      h.setProcessingTime(10);
      assertEquals(3, h.extractOutputValues().size());
      h.setProcessingTime(25); // timeout
      assertEquals(4, h.extractOutputValues().size());
    }
  }

  @Test
  void bufferedUsersSurviveACheckpointAndRestore() throws Exception {
    OperatorSubtaskState snapshot;
    try (var h = harness(config(10))) {
      h.setProcessingTime(0);
      h.processElement(rating(1, 10, 5f, 1));
      h.processElement(rating(2, 11, 5f, 2));
      snapshot = h.snapshot(1, 1);
      assertEquals(0, h.extractOutputValues().size());
    }
    try (var h = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new RecommendFunction(config(10)), List.of(ServedModel.ANNOUNCED)),
        Rating::userId, Types.LONG, 1, 1, 0)) {
      h.setup();
      h.initializeState(snapshot);
      h.open();
      h.setProcessingTime(100); // the restored timer fires and flushes the restored buffer
      List<RecommendationEvent> out = h.extractOutputValues();
      assertEquals(Set.of(1L, 2L), out.stream().map(RecommendationEvent::userId).collect(Collectors.toSet()));
      // and the keyed history came back too
      h.processElement(rating(1, 13, 5f, 3));
      h.setProcessingTime(200);
      RecommendationEvent again = h.extractOutputValues().get(2);
      assertThat(again.items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 13L);
    }
  }

  @Test
  void swapsToAnnouncedVersionAndRefusesACorruptOne() throws Exception {
    RecommendFunction f = new RecommendFunction(config(1));
    try (var h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(f, Rating::userId, Types.LONG, ServedModel.ANNOUNCED)) {
      h.processElement(rating(1, 10, 5f, 1));
      assertEquals(1, h.extractOutputValues().get(0).modelVersion());

      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      h.processBroadcastElement(new StreamRecord<>(event(v2)));
      f.awaitModelLoad();
      h.processElement(rating(1, 11, 5f, 2));
      assertEquals(2, h.extractOutputValues().get(1).modelVersion());

      ModelRegistry.Version v3 = TestRegistry.publish(registry, 3);
      TestRegistry.corrupt(v3);
      h.processBroadcastElement(new StreamRecord<>(event(v3)));
      f.awaitModelLoad();
      h.processElement(rating(1, 12, 5f, 3));
      assertEquals(2, h.extractOutputValues().get(2).modelVersion(), "v2 keeps serving");
      List<DeadLetterEvent> errors = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
      assertEquals(1, errors.size());
      assertThat(errors.get(0).error()).contains("v3").contains("SHA-256 mismatch").contains("still serving v2");

      // an announcement pointing outside the registry is refused too
      h.processBroadcastElement(new StreamRecord<>(new ModelUpdateEvent(TestRegistry.NAME, 4, tmp.resolve("elsewhere").toUri().toString(), v2.sha256(), "dae", 4, "publish")));
      f.awaitModelLoad();
      h.processElement(rating(1, 13, 5f, 4));
      assertThat(h.getSideOutput(DeadLetters.TAG).stream().map(r -> r.getValue().error()).toList().get(1)).contains("outside the registry root");
    }
  }

  @Test
  void aRestoredJobServesTheVersionInItsBroadcastState() throws Exception {
    OperatorSubtaskState snapshot;
    RecommendFunction f = new RecommendFunction(config(1));
    try (var h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(f, Rating::userId, Types.LONG, ServedModel.ANNOUNCED)) {
      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      h.processBroadcastElement(new StreamRecord<>(event(v2)));
      f.awaitModelLoad();
      h.processElement(rating(1, 10, 5f, 1));
      assertEquals(2, h.extractOutputValues().get(0).modelVersion());
      snapshot = h.snapshot(1, 1);
    }
    // meanwhile the registry's pointer moved back to v1 without an announcement: the restored job
    // must still serve what its state recorded
    new ModelRegistry(registry).promote(TestRegistry.NAME, 1);
    try (var h = new KeyedBroadcastOperatorTestHarness<>(
        new CoBroadcastWithKeyedOperator<>(new RecommendFunction(config(1)), List.of(ServedModel.ANNOUNCED)),
        Rating::userId, Types.LONG, 1, 1, 0)) {
      h.setup();
      h.initializeState(snapshot);
      h.open();
      h.processElement(rating(1, 11, 5f, 2));
      assertEquals(2, h.extractOutputValues().get(0).modelVersion());
    }
  }

  @Test
  void startsWithoutAModelWhenTheCurrentOneIsCorruptAndRecoversOnAnnouncement() throws Exception {
    TestRegistry.corrupt(v1);
    RecommendFunction f = new RecommendFunction(config(1));
    try (var h = ProcessFunctionTestHarnesses.forKeyedBroadcastProcessFunction(f, Rating::userId, Types.LONG, ServedModel.ANNOUNCED)) {
      h.processElement(rating(1, 10, 5f, 1));
      h.processElement(rating(2, 10, 5f, 1));
      assertEquals(0, h.extractOutputValues().size(), "no model, no recommendation (and no crash)");
      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      h.processBroadcastElement(new StreamRecord<>(event(v2)));
      f.awaitModelLoad();
      h.processElement(rating(1, 11, 5f, 2));
      List<RecommendationEvent> out = h.extractOutputValues();
      // the users who waited are scored as soon as v2 is in, then user 1's new rating
      assertEquals(List.of(1L, 2L, 1L), out.stream().map(RecommendationEvent::userId).toList());
      assertEquals(List.of(1L, 1L, 2L), out.stream().map(RecommendationEvent::triggerTimestamp).toList());
      assertThat(out).allMatch(e -> e.modelVersion() == 2);
      assertThat(out.get(2).items()).extracting(RecommendationEvent.Item::movieId).doesNotContain(10L, 11L); // history kept meanwhile
    }
  }

  static ModelUpdateEvent event(ModelRegistry.Version v) {
    return ModelUpdateEvent.of(v.name(), v.version(), v.dir(), v.sha256(), v.modelType(), v.version(), "publish"); // later versions announced later
  }
}
