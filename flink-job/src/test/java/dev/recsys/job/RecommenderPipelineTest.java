package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology on in-memory sources and sinks (a MiniCluster with RocksDB, no Kafka): the fast
 * check of what {@link RecommenderJob} wires together, beside the Kafka end-to-end test.
 */
class RecommenderPipelineTest {

  @TempDir Path tmp;

  @Test
  void everyChangingRatingGivesTheModelsListInOrderAndBadRecordsBecomeDeadLetters() throws Exception {
    Path registry = tmp.resolve("registry");
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    JobConfig config = JobConfig.defaults()
        .set(JobConfig.REGISTRY, registry.toString())
        .set(JobConfig.MODEL_NAME, TestRegistry.NAME)
        .set(JobConfig.BATCH_SIZE, 8)
        .set(JobConfig.TOP_K, 10)
        .set(JobConfig.PARALLELISM, 2)
        .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());

    SplittableRandom rnd = new SplittableRandom(5);
    List<RawRecord> ratings = new ArrayList<>();
    List<RatingEvent> events = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      RatingEvent e = new RatingEvent(1 + rnd.nextInt(6), 1 + rnd.nextInt(TestRegistry.ITEMS), 0.5 * (1 + rnd.nextInt(10)), 1000 + i);
      events.add(e);
      ratings.add(new RawRecord("ratings", 0, i, e.timestamp(), JsonCodec.RATING.encode(e)));
    }
    ratings.add(40, new RawRecord("ratings", 0, 1000, 0, "{oops".getBytes(StandardCharsets.UTF_8)));
    ratings.add(80, new RawRecord("ratings", 0, 1001, 0, "{\"userId\":1,\"movieId\":2,\"rating\":9,\"timestamp\":1}".getBytes(StandardCharsets.UTF_8)));

    StreamExecutionEnvironment env = JobEnvironment.create(config, null);
    CollectingSink<RecommendationEvent> recs = new CollectingSink<>();
    CollectingSink<DeadLetterEvent> dead = new CollectingSink<>();
    RecommenderJob.build(config,
        env.fromData(TypeInformation.of(RawRecord.class), ratings.toArray(RawRecord[]::new)).setParallelism(1),
        env.fromData(TypeInformation.of(RawRecord.class),
            new RawRecord("model-updates", 0, 0, 0, JsonCodec.MODEL_UPDATE.encode(TestRegistry.announcement(v1))), // the version already served
            // a 1 MB URI: refused with a dead letter that must still fit the producer's request limit
            new RawRecord("model-updates", 0, 1, 0, JsonCodec.MODEL_UPDATE.encode(new dev.recsys.contracts.ModelUpdateEvent(
                TestRegistry.NAME, 9, "file:///" + "x".repeat(1 << 20), v1.sha256(), "dae", 99, "publish")))).setParallelism(1),
        recs, new CollectingSink<>(), dead);
    env.execute("pipeline under test");

    // the expected stream, per user: a list per rating that changed the history, or fewer where a
    // user's ratings coalesced while they waited; always in order, and the last one for everything
    Map<Long, UserHistory> histories = new HashMap<>();
    Map<Long, List<Long>> expectedTriggers = new HashMap<>();
    Map<Long, List<Long>> expectedLast = new HashMap<>();
    try (Scorer scorer = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
      for (RatingEvent e : events) {
        UserHistory h = histories.computeIfAbsent(e.userId(), u -> new UserHistory());
        if (h.apply(e.movieId(), (float) e.rating(), e.timestamp(), config.get(JobConfig.HISTORY_CAP))) {
          expectedTriggers.computeIfAbsent(e.userId(), u -> new ArrayList<>()).add(e.timestamp());
          expectedLast.put(e.userId(), scorer.score(new UserQuery(h.positives(), h.rated()), 10).items().stream().map(ScoredItem::movieId).toList());
        }
      }
    }
    Map<Long, List<Long>> triggers = new HashMap<>();
    Map<Long, List<Long>> last = new HashMap<>();
    for (RecommendationEvent r : recs.received()) {
      triggers.computeIfAbsent(r.userId(), u -> new ArrayList<>()).add(r.triggerTimestamp());
      last.put(r.userId(), r.items().stream().map(RecommendationEvent.Item::movieId).toList());
      assertEquals(v1.version(), r.modelVersion());
    }
    assertEquals(expectedTriggers.keySet(), triggers.keySet());
    for (Map.Entry<Long, List<Long>> t : triggers.entrySet()) {
      List<Long> all = expectedTriggers.get(t.getKey());
      assertThat(t.getValue()).as("user %d", t.getKey()).isSorted().doesNotHaveDuplicates().isSubsetOf(all).endsWith(all.get(all.size() - 1));
    }
    assertEquals(expectedLast, last, "each user's last list is the model's for the whole history");

    List<DeadLetterEvent> letters = dead.received().stream().filter(d -> d.sourceTopic().equals("ratings")).toList();
    assertEquals(List.of(1000L, 1001L), letters.stream().map(DeadLetterEvent::offset).sorted().toList());
    List<DeadLetterEvent> refused = dead.received().stream().filter(d -> d.sourceTopic().equals("model-updates")).toList();
    assertEquals(1, refused.size());
    assertThat(JsonCodec.DEAD_LETTER.encode(refused.get(0)).length).as("a bounded dead letter").isLessThan(64 * 1024);
  }
}
