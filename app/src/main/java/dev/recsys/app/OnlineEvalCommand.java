package dev.recsys.app;

import ai.djl.Device;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.Topics;
import dev.recsys.job.JobConfig;
import dev.recsys.job.JobEnvironment;
import dev.recsys.job.Jobs;
import dev.recsys.job.KafkaIO;
import dev.recsys.job.RecommenderJob;
import dev.recsys.kafka.EmbeddedKafka;
import dev.recsys.kafka.replay.ReplayEvents;
import dev.recsys.kafka.replay.Replayer;
import dev.recsys.model.Architecture;
import dev.recsys.model.Interactions;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import dev.recsys.trainer.TrainingPipeline;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.online.MetricsTopic;
import dev.recsys.trainer.report.TrainingReport;
import dev.recsys.trainer.registry.ModelAnnouncer;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.TrainConfig;
import java.io.BufferedWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recsys online-eval}: online evaluation on real data, end to end. A ratings file in time
 * order: a Mult-VAE/DAE trained on the earlier part goes live, a popularity model (a bundle whose
 * scores are the earlier part's positive counts) runs as its shadow, and the later part is replayed
 * through the job on an embedded broker. The job's comparison on identical traffic ({@code model
 * compare}) is printed beside the offline figures of both models on the same time split.
 */
@Command(name = "online-eval", mixinStandardHelpOptions = true,
    description = {"Replay a ratings file in time order through the job: train on the earlier part, serve the later part with the model",
        "live and popularity as its shadow, and print the online comparison beside the offline one on the same split."})
public final class OnlineEvalCommand implements Callable<Integer> {

  private static final String MODEL = "movielens";
  private static final Duration METRICS_WINDOW = Duration.ofSeconds(5);
  /** The job has caught up with the ratings once it has emitted nothing for this long. */
  private static final Duration QUIET = Duration.ofSeconds(3);
  private static final Duration CATCH_UP_LIMIT = Duration.ofMinutes(5);

  @Option(names = "--ratings", required = true, description = "ratings.csv (the ML-20M schema), e.g. ../shared/data/ml-latest-small/ratings.csv")
  Path ratings;

  @Option(names = "--work-dir", defaultValue = "target/online-eval", description = "Broker, registry, checkpoints and plot go here (default: ${DEFAULT-VALUE})")
  Path work;

  @Option(names = "--train-share", defaultValue = "0.8", description = "Share of the ratings, oldest first, to train on (default: ${DEFAULT-VALUE})")
  double trainShare;

  @Option(names = "--model", defaultValue = "vae", description = "vae or dae (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--epochs", defaultValue = "200", description = "Training epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--rate", defaultValue = "1000",
      description = {"Replay rate of the later part, the one judged, ratings/s. Keep it below what the job scores: a job that falls behind",
          "judges each rating against a list that lags behind the user's history (default: ${DEFAULT-VALUE})"})
  double rate;

  @Option(names = "--history-rate", defaultValue = "5000", description = "Replay rate of the earlier part, which only builds histories, ratings/s (default: ${DEFAULT-VALUE})")
  double historyRate;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the training split and the training (default: ${DEFAULT-VALUE})")
  long seed;

  /** What a run found: the job's comparison on identical traffic, and the offline figures of both models. */
  public record Result(ModelMetricsEvent comparison, Offline offline, TrainingReport report) {}

  @Override
  public Integer call() throws Exception {
    run();
    return 0;
  }

  /** The whole evaluation; prints as it goes. */
  public Result run() throws Exception {
    Path dir = work.toAbsolutePath();
    Files.createDirectories(dir);
    ReplayEvents events = ReplayEvents.load(ratings, null, 0, true);
    int cut = (int) Math.round(events.size() * trainShare);
    System.out.printf(Locale.ROOT, "%,d ratings; training on the first %,d (up to %s), replaying the last %,d%n", events.size(), cut,
        java.time.Instant.ofEpochSecond(events.timestampSeconds(cut - 1)), events.size() - cut);
    Path earlier = dir.resolve("earlier.csv");
    writeCsv(events, 0, cut, earlier);

    ModelType type = ModelType.valueOf(model.toUpperCase(Locale.ROOT));
    TrainingPipeline.Result trained = TrainingPipeline.run(new TrainingPipeline.Options(earlier, null, Preprocessor.Options.paper(60, seed), true,
        TrainConfig.builder(type).epochs(epochs).seed(seed).build(), Device.cpu(), dir.resolve("train"), List.of(),
        new AutoencoderTrainer.Listener() {}));
    ModelBundle learned = ModelBundle.load(trained.bundle());
    Path popularity = popularityBundle(events, cut, learned, dir.resolve("popularity-bundle"));

    ModelRegistry registry = new ModelRegistry(dir.resolve("registry-" + System.currentTimeMillis()));
    ModelRegistry.Version pop = registry.publish(MODEL, popularity);
    ModelRegistry.Version live = registry.publish(MODEL, trained.bundle()); // published last: current
    System.out.printf("live: %s v%d; shadow: popularity v%d%n", type, live.version(), pop.version());

    Offline offline = offline(events, cut, List.of(learned, ModelBundle.load(pop.dir())));
    ModelMetricsEvent comparison;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka-" + System.currentTimeMillis()), true)) {
      String bootstrap = kafka.bootstrapServers();
      try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
        Topics.create(admin, (short) 1);
      }
      JobClient job = startJob(bootstrap, registry, dir);
      try (KafkaProducer<byte[], byte[]> producer =
          new KafkaProducer<>(KafkaClients.idempotentProducer(bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
        System.out.println("replaying the earlier part (the users' histories)...");
        Replayer.send(producer, Topics.RATINGS, events, 0, cut, new Replayer.Pace(historyRate, 0), i -> {}, () -> false);
        awaitCaughtUp(bootstrap);
        registry.startShadow(MODEL, pop.version());
        ModelAnnouncer.announce(bootstrap, Map.of(), Topics.MODEL_UPDATES, ModelAnnouncer.event(pop, ModelUpdateEvent.SHADOW));
        Thread.sleep(3_000);
        System.out.println("replaying the later part, live and shadow...");
        Replayer.send(producer, Topics.RATINGS, events, cut, events.size(), new Replayer.Pace(rate, 0), i -> {}, () -> false);
      }
      awaitCaughtUp(bootstrap);
      Thread.sleep(2 * METRICS_WINDOW.toMillis()); // the last window's figures
      System.out.println();
      System.out.println("online, on identical traffic (model compare):");
      RecsysCli.commandLine().execute("model", "compare", "--registry", registry.root().toString(), "--name", MODEL,
          "--bootstrap", bootstrap, "--metric", "hitrate@20", "--plot", dir.resolve("online-comparison.png").toString());
      comparison = MetricsTopic.read(bootstrap, Map.of(), Topics.MODEL_METRICS, MODEL, Duration.ofSeconds(30))
          .comparison(pop.version(), live.version())
          .orElseThrow(() -> new IllegalStateException("the job reported no comparison of the shadow against the live version"));
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "offline, on the same time split (%,d users with positives in both parts; inputs: their earlier positives,"
        + " targets: their later positives of movies not rated before):%n", offline.users());
    System.out.printf(Locale.ROOT, "  %-12s %-14s %-14s%n", "", type + " v" + live.version(), "popularity v" + pop.version());
    for (int k : new int[] {10, 20, 100}) {
      System.out.printf(Locale.ROOT, "  %-12s %-14.4f %-14.4f%n", "Recall@" + k + " (÷|targets|)", offline.recall(0, k), offline.recall(1, k));
    }
    System.out.printf(Locale.ROOT, "offline test split (random held-out users, report.md): %s NDCG@100 %.4f, Recall@20 %.4f; popularity %.4f, %.4f%n",
        type, trained.report().test().ndcg100(), trained.report().test().recall20(),
        trained.report().baselines().popularity().test().ndcg100(), trained.report().baselines().popularity().test().recall20());
    return new Result(comparison, offline, trained.report());
  }

  private static void writeCsv(ReplayEvents e, int from, int to, Path file) throws Exception {
    try (BufferedWriter w = Files.newBufferedWriter(file)) {
      w.write("userId,movieId,rating,timestamp\n");
      for (int i = from; i < to; i++) {
        w.write(e.userId(i) + "," + e.movieId(i) + "," + e.rating(i) + "," + e.timestampSeconds(i) + "\n");
      }
    }
  }

  /**
   * Popularity as a bundle the job can serve: a Mult-DAE whose weights are zero, so every user's
   * logits are the output bias, log(1 + positives of the movie in the earlier part).
   */
  static Path popularityBundle(ReplayEvents e, int cut, ModelBundle like, Path dir) throws Exception {
    ItemVocabulary vocab = like.vocabulary();
    long[] movies = vocab.movieIds();
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < movies.length; i++) {
      index.put(movies[i], i);
    }
    float[] counts = new float[movies.length];
    for (int i = 0; i < cut; i++) {
      Integer at = index.get(e.movieId(i));
      if (at != null && Interactions.isPositive(e.rating(i))) {
        counts[at]++;
      }
    }
    float[] bias = new float[movies.length];
    for (int i = 0; i < bias.length; i++) {
      bias[i] = (float) Math.log1p(counts[i]);
    }
    int n = movies.length;
    Architecture arch = new Architecture(ModelType.DAE, n, new int[0], 1);
    Path template = dir.resolveSibling(dir.getFileName() + "-template");
    RandomBundle.write(template, arch, movies, 0);
    Map<String, Tensor> w = new LinkedHashMap<>();
    w.put("enc0.weight", new Tensor(new long[] {n, 1}, new float[n]));
    w.put("enc0.bias", new Tensor(new long[] {1}, new float[1]));
    w.put("dec0.weight", new Tensor(new long[] {1, n}, new float[n]));
    w.put("dec0.bias", new Tensor(new long[] {n}, bias));
    ModelBundle.write(dir, ModelBundle.manifestOf(template), vocab, w);
    return dir;
  }

  /** Offline figures of each model on the time split. */
  public record Offline(int users, double[][] recall) {
    /** Model 0 is the trained one, 1 popularity. */
    public double recall(int model, int k) {
      return recall[model][k == 10 ? 0 : k == 20 ? 1 : 2];
    }
  }

  /**
   * For every user with positives in both parts: the model's top 100 from the earlier positives
   * (every earlier-rated movie excluded), against the later positives of movies not rated before;
   * mean over users of |top K ∩ targets| / |targets|.
   */
  static Offline offline(ReplayEvents e, int cut, List<ModelBundle> bundles) {
    Map<Long, Set<Long>> positives = new LinkedHashMap<>();
    Map<Long, Set<Long>> rated = new HashMap<>();
    Map<Long, Set<Long>> targets = new HashMap<>();
    for (int i = 0; i < e.size(); i++) {
      long u = e.userId(i);
      long m = e.movieId(i);
      if (i < cut) {
        rated.computeIfAbsent(u, x -> new LinkedHashSet<>()).add(m);
        if (Interactions.isPositive(e.rating(i))) {
          positives.computeIfAbsent(u, x -> new LinkedHashSet<>()).add(m);
        }
      } else if (Interactions.isPositive(e.rating(i)) && !rated.getOrDefault(u, Set.of()).contains(m)) {
        targets.computeIfAbsent(u, x -> new LinkedHashSet<>()).add(m);
      }
    }
    List<Long> users = positives.keySet().stream().filter(targets::containsKey).toList();
    List<UserQuery> queries = new ArrayList<>();
    for (long u : users) {
      queries.add(new UserQuery(positives.get(u).stream().mapToLong(Long::longValue).toArray(),
          rated.get(u).stream().mapToLong(Long::longValue).sorted().toArray()));
    }
    double[][] recall = new double[bundles.size()][3];
    int[] ks = {10, 20, 100};
    for (int b = 0; b < bundles.size(); b++) {
      try (Scorer s = Scorer.open(bundles.get(b), Device.cpu())) {
        for (int from = 0; from < queries.size(); from += 256) {
          List<Recommendations> recs = s.score(queries.subList(from, Math.min(queries.size(), from + 256)), 100);
          for (int j = 0; j < recs.size(); j++) {
            Set<Long> t = targets.get(users.get(from + j));
            List<ScoredItem> items = recs.get(j).items();
            for (int c = 0; c < ks.length; c++) {
              long hits = items.stream().limit(ks[c]).filter(i -> t.contains(i.movieId())).count();
              recall[b][c] += (double) hits / t.size() / users.size();
            }
          }
        }
      }
    }
    return new Offline(users.size(), recall);
  }

  /**
   * Waits until the job has caught up with the ratings sent so far: the recommendations topic's end
   * offsets stay the same for {@link #QUIET} (every rating that changes a history is followed by a list).
   */
  private static void awaitCaughtUp(String bootstrap) throws Exception {
    long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (TopicPartitionInfo p : admin.describeTopics(List.of(Topics.RECOMMENDATIONS)).allTopicNames().get().get(Topics.RECOMMENDATIONS).partitions()) {
        latest.put(new TopicPartition(Topics.RECOMMENDATIONS, p.partition()), OffsetSpec.latest());
      }
      long last = -1;
      long quietSince = System.nanoTime();
      while (System.nanoTime() - quietSince < QUIET.toNanos()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the job did not catch up with the replayed ratings within " + CATCH_UP_LIMIT.toMinutes()
              + " min: it is still emitting recommendations (" + last + " so far)");
        }
        long end = 0;
        for (var o : admin.listOffsets(latest).all().get().values()) {
          end += o.offset();
        }
        if (end != last) {
          last = end;
          quietSince = System.nanoTime();
        }
        Thread.sleep(250);
      }
    }
  }

  private static JobClient startJob(String bootstrap, ModelRegistry registry, Path dir) throws Exception {
    String run = "online-eval-" + System.currentTimeMillis();
    JobConfig cfg = JobConfig.defaults()
        .set(JobConfig.JOB_NAME, run)
        .set(JobConfig.BOOTSTRAP, bootstrap)
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
        .set(JobConfig.REGISTRY, registry.root().toString())
        .set(JobConfig.MODEL_NAME, MODEL)
        .set(JobConfig.CHECKPOINT_DIR, dir.resolve("checkpoints").toString())
        .set(JobConfig.METRICS_WINDOW, METRICS_WINDOW)
        .validate();
    StreamExecutionEnvironment env = JobEnvironment.create(cfg, null);
    RecommenderJob.build(cfg, KafkaIO.ratings(env, cfg), KafkaIO.modelUpdates(env, cfg), KafkaIO.recommendations(cfg), KafkaIO.modelMetrics(cfg),
        KafkaIO.deadLetters(cfg));
    return env.executeAsync(run);
  }
}
