package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import dev.recsys.contracts.Topics;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole job on a real MiniCluster with RocksDB, against a real Kafka broker. */
@WithKafka
class RecommenderJobEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path tmp;
  Path registry;
  KafkaTestIO kafka;
  JobConfig config;

  @BeforeEach
  void setUp(KafkaCluster cluster) throws Exception {
    registry = tmp.resolve("registry");
    kafka = new KafkaTestIO(cluster.bootstrapServers());
    kafka.createTopics();
    config = JobConfig.defaults()
        .set(JobConfig.BOOTSTRAP, cluster.bootstrapServers())
        .set(JobConfig.GROUP, "job-" + UUID.randomUUID())
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
        .set(JobConfig.REGISTRY, registry.toString())
        .set(JobConfig.MODEL_NAME, TestRegistry.NAME)
        .set(JobConfig.BATCH_SIZE, 8)
        .set(JobConfig.TOP_K, 10)
        .set(JobConfig.CHECKPOINT_INTERVAL, Duration.ofMillis(500))
        .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString())
        .set(JobConfig.TX_PREFIX, "test-" + UUID.randomUUID());
  }

  private JobClient start(String restoreFrom) throws Exception {
    StreamExecutionEnvironment env = JobEnvironment.create(config, restoreFrom);
    RecommenderJob.build(config, KafkaIO.ratings(env, config), KafkaIO.modelUpdates(env, config), KafkaIO.recommendations(config), KafkaIO.modelMetrics(config),
        KafkaIO.deadLetters(config));
    return env.executeAsync("recommender under test");
  }

  /** Random ratings for users, with strictly increasing timestamps. */
  private static List<RatingEvent> ratings(List<Long> users, int perUser, long seed, long t0) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<RatingEvent> out = new ArrayList<>();
    long t = t0;
    for (int k = 0; k < perUser; k++) {
      for (long u : users) {
        double stars = 0.5 * (1 + rnd.nextInt(10));
        out.add(new RatingEvent(u, 1 + rnd.nextInt(TestRegistry.ITEMS), stars, t++));
      }
    }
    return out;
  }

  /** Each user's latest rating per movie, replayed the way the job applies them. */
  private static Map<Long, UserHistory> histories(List<RatingEvent> events) {
    Map<Long, UserHistory> h = new HashMap<>();
    for (RatingEvent e : events) {
      h.computeIfAbsent(e.userId(), u -> new UserHistory()).apply(e.movieId(), (float) e.rating(), e.timestamp(), 500);
    }
    return h;
  }

  private static Map<Long, Long> lastTrigger(List<RatingEvent> events) {
    Map<Long, UserHistory> seen = new HashMap<>();
    Map<Long, Long> last = new HashMap<>();
    for (RatingEvent e : events) {
      if (seen.computeIfAbsent(e.userId(), u -> new UserHistory()).apply(e.movieId(), (float) e.rating(), e.timestamp(), 500)) {
        last.put(e.userId(), e.timestamp());
      }
    }
    return last;
  }

  private static Map<Long, RecommendationEvent> latestPerUser(List<RecommendationEvent> recs) {
    return recs.stream().collect(Collectors.toMap(RecommendationEvent::userId, r -> r,
        (a, b) -> a.triggerTimestamp() >= b.triggerTimestamp() ? a : b, LinkedHashMap::new));
  }

  private static boolean covers(List<RecommendationEvent> recs, Map<Long, Long> triggers, int version) {
    Map<Long, RecommendationEvent> latest = latestPerUser(recs);
    return triggers.entrySet().stream().allMatch(t -> {
      RecommendationEvent r = latest.get(t.getKey());
      return r != null && r.triggerTimestamp() == t.getValue() && r.modelVersion() == version;
    });
  }

  @Test
  void ratingsInRecommendationsOutWithHotSwapAndDeadLetters() throws Exception {
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    List<Long> users = List.of(11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L);
    List<RatingEvent> first = ratings(users, 6, 1, 1_000);
    kafka.ratings(first);
    kafka.raw("ratings", "x", "not json at all");
    kafka.raw("ratings", "7", "{\"userId\":7,\"movieId\":3,\"rating\":7.5,\"timestamp\":1}");
    kafka.raw("ratings", "7", "{\"userId\":7,\"rating\":4.0,\"timestamp\":1}");

    JobClient job = start(null);
    try {
      Map<Long, Long> triggers = lastTrigger(first);
      List<RecommendationEvent> recs = mine(kafka.recommendations(r -> covers(r, triggers, 1), WAIT), users);
      assertTrue(covers(recs, triggers, 1), "every user's latest event scored by v1: " + latestPerUser(recs));

      // outputs equal what the Scorer computes for the same histories, and exclude every rated movie
      Map<Long, UserHistory> hist = histories(first);
      int distinguishable = 0;
      try (Scorer scorer = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        for (RecommendationEvent r : latestPerUser(recs).values()) {
          UserHistory h = hist.get(r.userId());
          Recommendations expected = scorer.score(new UserQuery(h.positives(), h.rated()), 10);
          assertEquals(expected.fallback(), r.fallback());
          assertEquals(expected.items().stream().map(ScoredItem::movieId).toList(),
              r.items().stream().map(RecommendationEvent.Item::movieId).toList(), "user " + r.userId());
          assertEquals(expected.items().get(0).score(), r.items().get(0).score(), 1e-5);
          assertEquals(TestRegistry.NAME, r.modelName());
        }
      }
      for (RecommendationEvent r : recs) {
        Map<Long, UserHistory> upTo = histories(first.stream().filter(e -> e.timestamp() <= r.triggerTimestamp()).toList());
        assertThat(r.items()).extracting(RecommendationEvent.Item::movieId)
            .doesNotContainAnyElementsOf(boxed(upTo.get(r.userId()).rated()));
      }

      // bad records went to the dead-letter topic with reasons, partitions and offsets
      List<DeadLetterEvent> dead = kafka.deadLetters(d -> d.size() >= 3, WAIT).stream().filter(d -> d.sourceTopic().equals("ratings")).toList();
      assertEquals(3, dead.size());
      assertThat(dead).allMatch(d -> d.sourceTopic().equals("ratings") && d.offset() >= 0 && d.partition() >= 0);
      assertThat(dead.stream().map(DeadLetterEvent::error).toList())
          .anyMatch(e -> e.startsWith("not JSON"))
          .anyMatch(e -> e.contains("rating"))
          .anyMatch(e -> e.contains("movieId"));

      // a new version is announced: outputs switch to v2 without a restart
      ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
      kafka.announce(v2);
      List<RatingEvent> second = new ArrayList<>();
      Map<Long, Long> secondTriggers = Map.of();
      for (int round = 0; round < 30; round++) {
        List<RatingEvent> more = ratings(users, 1, 100 + round, 10_000 + round * 100L);
        second.addAll(more);
        kafka.ratings(more);
        secondTriggers = lastTrigger(Stream.concat(first.stream(), second.stream()).toList());
        Map<Long, Long> want = secondTriggers;
        List<RecommendationEvent> got = kafka.recommendations(r -> covers(r, want, 2), Duration.ofSeconds(3));
        if (covers(got, want, 2)) {
          break;
        }
      }
      Map<Long, Long> want2 = secondTriggers;
      assertTrue(covers(kafka.recommendations(r -> covers(r, want2, 2), WAIT), want2, 2), "switched to v2");

      // a corrupted v3 is refused; v2 keeps serving and the refusal is dead-lettered
      ModelRegistry.Version v3 = TestRegistry.publish(registry, 3);
      TestRegistry.corrupt(v3);
      kafka.announce(v3);
      List<DeadLetterEvent> refusals = kafka.deadLetters(d -> d.stream().anyMatch(x -> x.error().contains("v3")), WAIT);
      assertThat(refusals).anyMatch(d -> d.sourceTopic().equals("model-updates") && d.error().contains("SHA-256 mismatch"));
      List<RatingEvent> third = ratings(users, 1, 999, 50_000);
      kafka.ratings(third);
      Map<Long, Long> want3 = lastTrigger(Stream.of(first, second, third).flatMap(List::stream).toList());
      assertTrue(covers(kafka.recommendations(r -> covers(r, want3, 2), WAIT), want3, 2), "v2 still serving after v3 was refused");
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }

  @Test
  void exactlyOnceRestoreFromCheckpointLosesNoHistoryAndDuplicatesNothing() throws Exception {
    config.set(JobConfig.SINK_DELIVERY, JobConfig.Delivery.EXACTLY_ONCE);
    // the first run checkpoints RocksDB alone, as jobs did before the changelog was the default:
    // the restored run turns the changelog on over that state
    config.setFlinkProperty("state.changelog.enabled", "false");
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    List<Long> users = List.of(31L, 32L, 33L, 34L, 35L, 36L);
    List<RatingEvent> a = ratings(users, 5, 7, 1_000);
    kafka.ratings(a);
    JobClient job = start(null);
    Map<Long, Long> ta = lastTrigger(a);
    assertTrue(covers(kafka.recommendations(r -> covers(r, ta, 1), WAIT), ta, 1));
    // send more and stop the job while it works on them
    List<RatingEvent> b = ratings(users, 5, 8, 5_000);
    kafka.ratings(b);
    Thread.sleep(300);
    Path checkpoints = runDirectory(job);
    awaitCheckpoint(checkpoints);
    Jobs.cancel(job, Duration.ofMinutes(1));
    Path latest = latestCheckpoint(checkpoints).orElseThrow();
    assertThat(checkpoints.resolve("dstl")).as("no changelog in the first run").doesNotExist();

    config.setFlinkProperty("state.changelog.enabled", "true");
    JobClient restored = start(latest.toString());
    try {
      // history from before the stop is still there: new events are scored on the full history
      List<RatingEvent> c = ratings(users, 2, 9, 9_000);
      kafka.ratings(c);
      List<RatingEvent> all = Stream.of(a, b, c).flatMap(List::stream).toList();
      Map<Long, Long> tc = lastTrigger(all);
      List<RecommendationEvent> recs = mine(kafka.recommendations(r -> covers(r, tc, 1), WAIT), users);
      assertTrue(covers(recs, tc, 1), "after restore every user's latest event is scored");
      // each user's last list is what the model gives for the whole history, before and after the stop
      Map<Long, UserHistory> hist = histories(all);
      int distinguishable = 0;
      try (Scorer scorer = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        for (RecommendationEvent r : latestPerUser(recs).values()) {
          UserHistory h = hist.get(r.userId());
          List<Long> expected = scorer.score(new UserQuery(h.positives(), h.rated()), 10).items().stream().map(ScoredItem::movieId).toList();
          assertEquals(expected, r.items().stream().map(RecommendationEvent.Item::movieId).toList(), "user " + r.userId());
          UserHistory withoutA = histories(Stream.of(b, c).flatMap(List::stream).toList()).get(r.userId());
          List<Long> ifLost = scorer.score(new UserQuery(withoutA.positives(), withoutA.rated()), 10).items().stream().map(ScoredItem::movieId).toList();
          distinguishable += ifLost.equals(expected) ? 0 : 1;
        }
      }
      assertThat(distinguishable).as("users whose list shows whether the first ratings survived").isGreaterThanOrEqualTo(users.size() / 2);
      // exactly once: no triggering event has two committed recommendations
      Map<String, Long> perTrigger = recs.stream().collect(Collectors.groupingBy(r -> r.userId() + "@" + r.triggerTimestamp(), Collectors.counting()));
      assertThat(perTrigger.values()).allMatch(n -> n == 1);
      Path changelog = runDirectory(restored).resolve("dstl");
      assertThat(awaitFiles(changelog)).as("state changes uploaded to %s", changelog).isPositive();
    } finally {
      Jobs.cancel(restored, Duration.ofMinutes(1));
    }
  }

  @Test
  void atLeastOnceRestoreAtParallelismTwoRepeatsOnlyWhatAConsumerCanRecogniseAndDrop() throws Exception {
    config.set(JobConfig.PARALLELISM, 2); // default delivery: at least once
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    List<Long> users = List.of(41L, 42L, 43L, 44L, 45L, 46L);
    List<RatingEvent> a = ratings(users, 5, 17, 1_000);
    kafka.ratings(a);
    JobClient job = start(null);
    Map<Long, Long> ta = lastTrigger(a);
    assertTrue(covers(kafka.recommendations(r -> covers(r, ta, 1), WAIT), ta, 1));
    Path checkpoints = runDirectory(job);
    awaitCheckpoint(checkpoints);
    List<RatingEvent> b = ratings(users, 5, 18, 5_000); // some of these come after the last checkpoint
    kafka.ratings(b);
    Map<Long, Long> tb = lastTrigger(Stream.concat(a.stream(), b.stream()).toList());
    assertTrue(covers(kafka.recommendations(r -> covers(r, tb, 1), WAIT), tb, 1));
    Jobs.cancel(job, Duration.ofMinutes(1));
    Path latest = latestCheckpoint(checkpoints).orElseThrow();
    assertThat(awaitFiles(checkpoints.resolve("dstl"))).as("the checkpoint restored from has a changelog").isPositive();

    // and back to RocksDB alone
    config.setFlinkProperty("state.changelog.enabled", "false");
    JobClient restored = start(latest.toString());
    try {
      List<RatingEvent> c = ratings(users, 2, 19, 9_000);
      kafka.ratings(c);
      List<RatingEvent> all = Stream.of(a, b, c).flatMap(List::stream).toList();
      Map<Long, Long> tc = lastTrigger(all);
      List<RecommendationEvent> recs = mine(kafka.recommendations(r -> covers(r, tc, 1), WAIT), users);
      // a repeat restates the same list: one trigger (partition, offset), one list
      Map<String, List<List<Long>>> byTrigger = recs.stream().collect(Collectors.groupingBy(
          r -> r.triggerPartition() + "@" + r.triggerOffset(), Collectors.mapping(r -> r.items().stream().map(RecommendationEvent.Item::movieId).toList(), Collectors.toList())));
      assertThat(byTrigger.values()).allMatch(lists -> lists.stream().distinct().count() == 1);
      // a consumer that keeps, per user, the list that supersedes the previous one ends with each user's latest
      Map<Long, RecommendationEvent> kept = new HashMap<>();
      for (RecommendationEvent r : recs) {
        if (r.supersedes(kept.get(r.userId()))) {
          kept.put(r.userId(), r);
        }
      }
      Map<Long, UserHistory> hist = histories(all);
      try (Scorer scorer = Scorer.open(ModelBundle.load(v1.dir()), Device.cpu())) {
        for (long u : users) {
          UserHistory h = hist.get(u);
          assertEquals(tc.get(u), kept.get(u).triggerTimestamp(), "user " + u);
          assertEquals(scorer.score(new UserQuery(h.positives(), h.rated()), 10).items().stream().map(ScoredItem::movieId).toList(),
              kept.get(u).items().stream().map(RecommendationEvent.Item::movieId).toList(), "user " + u);
        }
      }
      Path after = runDirectory(restored);
      awaitCheckpoint(after);
      assertThat(latestCheckpoint(after)).as("checkpoints go on after the restore").isPresent();
    } finally {
      Jobs.cancel(restored, Duration.ofMinutes(1));
    }
  }

  @Test
  void aLateConsumerRebuildsEveryUsersLatestListFromTheCompactedTopic() throws Exception {
    TestRegistry.publish(registry, 1);
    String topic = "recommendations-compacted";
    Map<String, String> configs = new HashMap<>(Topics.spec(Topics.RECOMMENDATIONS).configs());
    configs.putAll(Map.of("segment.ms", "200", "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0")); // compact soon
    kafka.createTopic(topic, configs);
    config.set(JobConfig.RECOMMENDATIONS_TOPIC, topic);
    List<Long> users = java.util.stream.LongStream.rangeClosed(51, 70).boxed().toList();
    JobClient job = start(null);
    try {
      List<RatingEvent> sent = new ArrayList<>();
      for (int round = 0; round < 8; round++) {
        List<RatingEvent> more = ratings(users, 1, 30 + round, 20_000 + round * 100L);
        sent.addAll(more);
        kafka.ratings(more);
        Thread.sleep(300); // segments roll between rounds, so the older ones can be compacted
      }
      Map<Long, Long> last = lastTrigger(sent);
      List<RecommendationEvent> emitted = kafka.recommendations(topic, r -> covers(r, last, 1), WAIT);
      assertTrue(covers(emitted, last, 1));
      Map<Long, RecommendationEvent> emittedLast = new HashMap<>();
      emitted.forEach(r -> emittedLast.put(r.userId(), r)); // in topic order: the last one per key is what compaction keeps
      kafka.ratings(ratings(List.of(999L), 1, 99, 90_000)); // one more record rolls the last segment of user data
      long deadline = System.currentTimeMillis() + WAIT.toMillis();
      List<RecommendationEvent> late;
      do {
        Thread.sleep(500);
        late = kafka.recommendations(topic, r -> false, Duration.ofSeconds(2)).stream().filter(r -> r.userId() != 999L).toList();
      } while (late.size() >= emitted.size() && System.currentTimeMillis() < deadline);
      assertThat(late.size()).as("compaction dropped superseded lists").isLessThan(emitted.size());
      Map<Long, RecommendationEvent> rebuilt = new HashMap<>();
      for (RecommendationEvent r : late) {
        if (r.supersedes(rebuilt.get(r.userId()))) {
          rebuilt.put(r.userId(), r);
        }
      }
      assertEquals(emittedLast, rebuilt, "the late consumer ends with exactly the lists emitted last");
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }

  private static List<RecommendationEvent> mine(List<RecommendationEvent> recs, List<Long> users) {
    return recs.stream().filter(r -> users.contains(r.userId())).toList();
  }

  private static List<Long> boxed(long[] a) {
    return java.util.Arrays.stream(a).boxed().toList();
  }

  private static void awaitCheckpoint(Path dir) throws Exception {
    long deadline = System.currentTimeMillis() + WAIT.toMillis();
    while (latestCheckpoint(dir).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
  }

  /** Where a run of the job keeps its checkpoints and its changelog ({@code dstl/}). */
  private Path runDirectory(JobClient run) {
    return Path.of(java.net.URI.create(config.checkpointDirectory())).resolve(run.getJobID().toString());
  }

  /** How many files {@code dir} has once it has any, or 0 after {@link #WAIT}. */
  private static long awaitFiles(Path dir) throws Exception {
    long deadline = System.currentTimeMillis() + WAIT.toMillis();
    while (System.currentTimeMillis() < deadline) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> files = Files.list(dir)) {
          long n = files.count();
          if (n > 0) {
            return n;
          }
        }
      }
      Thread.sleep(100);
    }
    return 0;
  }

  private static Optional<Path> latestCheckpoint(Path dir) {
    return RetainedCheckpoints.latest(dir.toString());
  }

}
