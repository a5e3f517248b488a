package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online evaluation with planted behaviour, through the whole job against a real broker: a model
 * that knows each user's next movie, a random one, a shadow beside the live version, and a restore.
 * Users rate in rounds, the next round only once every user's list for the last one is out, so each
 * rating is checked against the list of the history just before it.
 */
@WithKafka
class OnlineEvaluationTest {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int TOP_K = 20;

  @TempDir Path tmp;
  Path registry;
  KafkaTestIO kafka;
  JobConfig config;

  @BeforeEach
  void setUp(KafkaCluster cluster) throws Exception {
    registry = tmp.resolve("registry");
    kafka = new KafkaTestIO(cluster.bootstrapServers(), "-" + UUID.randomUUID());
    kafka.createTopics();
    config = kafka.topicsOf(JobConfig.defaults())
        .set(JobConfig.BOOTSTRAP, cluster.bootstrapServers())
        .set(JobConfig.GROUP, "job-" + UUID.randomUUID())
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
        .set(JobConfig.REGISTRY, registry.toString())
        .set(JobConfig.MODEL_NAME, TestRegistry.NAME)
        .set(JobConfig.BATCH_SIZE, 8)
        .set(JobConfig.TOP_K, TOP_K)
        .set(JobConfig.METRICS_WINDOW, Duration.ofMillis(300))
        .set(JobConfig.CHECKPOINT_INTERVAL, Duration.ofMillis(500))
        .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
  }

  private JobClient start(String restoreFrom) throws Exception {
    StreamExecutionEnvironment env = JobEnvironment.create(config, restoreFrom);
    RecommenderJob.build(config, KafkaIO.ratings(env, config), KafkaIO.modelUpdates(env, config), KafkaIO.recommendations(config),
        KafkaIO.modelMetrics(config), KafkaIO.deadLetters(config));
    return env.executeAsync("online evaluation under test");
  }

  /**
   * A Mult-DAE that puts movie m+1 first for anyone who rated m: the code is about 1 at every rated
   * movie, and the decoder maps movie m's code to movie m+1. Rated movies are excluded, so after
   * rating s, s+1, ..., s+j the top movie is s+j+1.
   */
  private ModelRegistry.Version publishSuccessorModel() throws Exception {
    int n = TestRegistry.ITEMS;
    Architecture arch = new Architecture(ModelType.DAE, n, new int[0], n);
    Path template = tmp.resolve("template");
    RandomBundle.write(template, arch, TestRegistry.MOVIES, 1);
    float[] enc = new float[n * n];
    float[] dec = new float[n * n];
    for (int i = 0; i < n; i++) {
      enc[i * n + i] = 10f;
      if (i + 1 < n) {
        dec[i * n + i + 1] = 5f; // [code i, item i+1]
      }
    }
    Map<String, Tensor> w = new LinkedHashMap<>();
    w.put("enc0.weight", new Tensor(new long[] {n, n}, enc));
    w.put("enc0.bias", new Tensor(new long[] {n}, new float[n]));
    w.put("dec0.weight", new Tensor(new long[] {n, n}, dec));
    w.put("dec0.bias", new Tensor(new long[] {n}, new float[n]));
    Path bundle = tmp.resolve("successor");
    ModelBundle.write(bundle, ModelBundle.manifestOf(template), new ItemVocabulary(TestRegistry.MOVIES), w);
    return new ModelRegistry(registry).publish(TestRegistry.NAME, bundle);
  }

  /** Sends one rating per user and waits until every user's list for it is out. */
  private void round(Map<Long, Long> movies, long t) {
    List<RatingEvent> events = new ArrayList<>();
    movies.forEach((u, m) -> events.add(new RatingEvent(u, m, 5.0, t)));
    kafka.ratings(events);
    Predicate<List<RecommendationEvent>> answered = recs -> {
      Set<Long> done = new HashSet<>();
      recs.stream().filter(r -> r.triggerTimestamp() == t).forEach(r -> done.add(r.userId()));
      return done.containsAll(movies.keySet());
    };
    assertThat(answered.test(kafka.recommendations(answered, WAIT))).as("round at t=" + t + " answered").isTrue();
  }

  /** The latest record of a kind, role and version whose total has at least {@code events} events. */
  private ModelMetricsEvent latest(String kind, String role, int version, long events) {
    Predicate<ModelMetricsEvent> match = e -> e.kind().equals(kind) && e.role().equals(role) && e.modelVersion() == version;
    List<ModelMetricsEvent> all = kafka.modelMetrics(l -> l.stream().anyMatch(e -> match.test(e) && e.total().events() >= events), WAIT);
    Optional<ModelMetricsEvent> last = all.stream().filter(match).reduce((a, b) -> b);
    assertThat(last).as(kind + " " + role + " v" + version + " reported").isPresent();
    return last.get();
  }

  @Test
  void aModelThatKnowsTheNextMovieHitsEveryTime() throws Exception {
    ModelRegistry.Version v1 = publishSuccessorModel();
    JobClient job = start(null);
    try {
      int rounds = 6;
      List<Long> users = LongStream.rangeClosed(1, 8).boxed().toList();
      for (int k = 0; k < rounds; k++) {
        Map<Long, Long> movies = new LinkedHashMap<>();
        for (long u : users) {
          movies.put(u, 5 * u + k); // user u rates 5u, 5u+1, ...: always the successor of the last
        }
        round(movies, 1_000 + k);
      }
      long expected = (long) users.size() * (rounds - 1); // every rating after the first had a list
      ModelMetricsEvent m = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, v1.version(), expected);
      assertThat(m.total().events()).isEqualTo(expected);
      assertThat(m.total().scores().hits10()).isEqualTo(expected);
      assertThat(m.total().scores().gainSum()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9)); // rank 1: gain 1
      assertThat(m.total().scoredUsers()).isGreaterThanOrEqualTo((long) users.size() * rounds - users.size());
      assertThat(m.modelName()).isEqualTo(TestRegistry.NAME);
      assertThat(m.baselineVersion()).isNull();
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }

  @Test
  void aRandomModelHitsAtChanceAndAShadowNeverReachesUsers() throws Exception {
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
    ModelRegistry reg = new ModelRegistry(registry);
    reg.promote(TestRegistry.NAME, 1);
    reg.startShadow(TestRegistry.NAME, 2);
    JobClient job = start(null); // starts with the registry's current version and its shadow
    try {
      SplittableRandom rnd = new SplittableRandom(7);
      List<Long> users = LongStream.rangeClosed(100, 139).boxed().toList();
      Map<Long, Set<Long>> rated = new LinkedHashMap<>();
      double expectedHits = 0;
      double variance = 0;
      int rounds = 8;
      long events = 0;
      for (int k = 0; k < rounds; k++) {
        Map<Long, Long> movies = new LinkedHashMap<>();
        for (long u : users) {
          Set<Long> seen = rated.computeIfAbsent(u, x -> new HashSet<>());
          long m;
          do {
            m = 1 + rnd.nextInt(TestRegistry.ITEMS);
          } while (seen.contains(m));
          if (k > 0) { // checked against a list of TOP_K of the movies left unrated, chosen blind
            double p = Math.min(10, TestRegistry.ITEMS - seen.size()) / (double) (TestRegistry.ITEMS - seen.size());
            expectedHits += p;
            variance += p * (1 - p);
            events++;
          }
          seen.add(m);
          movies.put(u, m);
        }
        round(movies, 5_000 + k);
      }
      ModelMetricsEvent live = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, v1.version(), events);
      assertThat(live.total().events()).isEqualTo(events);
      assertThat((double) live.total().scores().hits10())
          .as("hits@10 of a random model: %.1f expected, sd %.1f", expectedHits, Math.sqrt(variance))
          .isBetween(expectedHits - 4 * Math.sqrt(variance), expectedHits + 4 * Math.sqrt(variance));

      // the shadow saw the same events, and the comparison pairs them with the live version's
      ModelMetricsEvent shadow = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.SHADOW, v2.version(), events);
      assertThat(shadow.total().events()).isEqualTo(events);
      assertThat(shadow.total().scoredUsers()).isGreaterThan(0L);
      ModelMetricsEvent cmp = latest(ModelMetricsEvent.COMPARISON, ModelMetricsEvent.SHADOW, v2.version(), events);
      assertThat(cmp.baselineVersion()).isEqualTo(v1.version());
      assertThat(cmp.total().events()).isEqualTo(events);
      assertThat(cmp.total().baseline()).isEqualTo(live.total().scores());
      assertThat(cmp.total().scores()).isEqualTo(shadow.total().scores());
      ModelMetricsEvent.Tally t = cmp.total();
      assertThat(t.scores().hits10() - t.onlyHits().hits10()).as("hits of both")
          .isEqualTo(t.baseline().hits10() - t.onlyBaselineHits().hits10());

      List<RecommendationEvent> recs = kafka.recommendations(r -> false, Duration.ofSeconds(2));
      assertThat(recs).isNotEmpty().allSatisfy(r -> assertThat(r.modelVersion()).isEqualTo(v1.version()));

      // ending the shadow stops its observations; its later windows stay empty
      reg.endShadow(TestRegistry.NAME);
      kafka.announce(ModelUpdateEvent.of(TestRegistry.NAME, 2, v2.dir(), v2.sha256(), v2.modelType(), System.currentTimeMillis(),
          ModelUpdateEvent.END_SHADOW));
      Thread.sleep(1_000); // the end reaches every subtask
      Map<Long, Long> more = new LinkedHashMap<>();
      for (long u : users) {
        long m;
        do {
          m = 1 + rnd.nextInt(TestRegistry.ITEMS);
        } while (rated.get(u).contains(m));
        rated.get(u).add(m);
        more.put(u, m);
      }
      round(more, 9_000);
      ModelMetricsEvent liveAfter = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, v1.version(), events + users.size());
      assertThat(liveAfter.total().events()).isEqualTo(events + users.size());
      ModelMetricsEvent shadowAfter = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.SHADOW, v2.version(), events);
      assertThat(shadowAfter.total().events()).isEqualTo(events);
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }

  @Test
  void countsSurviveARestore() throws Exception {
    ModelRegistry.Version v1 = publishSuccessorModel();
    List<Long> users = LongStream.rangeClosed(1, 6).boxed().toList();
    JobClient job = start(null);
    for (int k = 0; k < 3; k++) {
      Map<Long, Long> movies = new LinkedHashMap<>();
      for (long u : users) {
        movies.put(u, 5 * u + k);
      }
      round(movies, 1_000 + k);
    }
    latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, v1.version(), 2L * users.size());
    Thread.sleep(1_500); // a checkpoint after the counts
    Path checkpoints = Path.of(java.net.URI.create(config.checkpointDirectory())).resolve(job.getJobID().toString());
    Jobs.cancel(job, Duration.ofMinutes(1));
    String checkpoint = RetainedCheckpoints.latest(checkpoints.toString()).orElseThrow().toString();

    job = start(checkpoint);
    try {
      for (int k = 3; k < 5; k++) {
        Map<Long, Long> movies = new LinkedHashMap<>();
        for (long u : users) {
          movies.put(u, 5 * u + k);
        }
        round(movies, 1_000 + k);
      }
      long expected = 4L * users.size();
      ModelMetricsEvent m = latest(ModelMetricsEvent.VERSION, ModelMetricsEvent.LIVE, v1.version(), expected);
      assertThat(m.total().events()).as("counts from before the restore and after").isEqualTo(expected);
      assertThat(m.total().scores().hits10()).isEqualTo(expected);
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }
}
