package dev.recsys.app;

import ai.djl.Device;
import dev.recsys.job.JobConfig;
import dev.recsys.job.JobEnvironment;
import dev.recsys.job.Jobs;
import dev.recsys.job.KafkaIO;
import dev.recsys.job.RecommenderJob;
import dev.recsys.kafka.EmbeddedKafka;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.kafka.cli.TailCommand;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.JsonSerde;
import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.replay.ReplayEvents;
import dev.recsys.kafka.replay.Replayer;
import dev.recsys.model.ModelType;
import dev.recsys.model.Shuffle;
import dev.recsys.model.movielens.MovieLensReader;
import dev.recsys.model.movielens.Movies;
import dev.recsys.model.movielens.SyntheticMovieLens;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.trainer.TrainingPipeline;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.online.MetricsTopic;
import dev.recsys.trainer.registry.ModelAnnouncer;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.TrainConfig;
import java.io.BufferedWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The whole system on one machine: an embedded Kafka broker, a trained v1, the Flink job on a local
 * MiniCluster with RocksDB and at-least-once (upsert) output, a replay of held-out users' ratings with live
 * recommendations, and a v2 swapped in half-way without a restart.
 */
public final class Demo {

  private static final String MODEL = "movielens";

  /** Demo settings; see {@link DemoCommand} for their meaning and defaults. */
  public record Options(
      Path workDir, Path ratings, Path movies, String bootstrap, Path clientConfig, int liveUsers, double rate, int epochs,
      int synthUsers, int synthMovies, long seed, int printEvery, PrintStream out) {}

  /** What happened, for the closing summary (and the tests). */
  public record Summary(long eventsSent, long recommendations, Map<Integer, Long> perVersion, long fallbacks,
      long p50, long p95, long p99, long maxLatency, List<Integer> versionOrder, Map<Integer, ModelMetricsEvent.Tally> online) {}

  /** The demo's online-metrics window: short, so that the summary sees the last one. */
  private static final Duration METRICS_WINDOW = Duration.ofSeconds(2);

  private final Options o;
  private final PrintStream out;
  private final Path work;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ModelRegistry registry;
  /** Client properties for an existing Kafka (--client-config); none for the embedded broker. */
  private Map<String, String> client = Map.of();

  private Demo(Options o) {
    this.o = o;
    this.out = o.out();
    this.work = o.workDir().toAbsolutePath();
    this.registry = new ModelRegistry(work.resolve("registry"));
  }

  /** The demo's data: the full ratings file, the users replayed live, and the training file without them. */
  private record Data(Path ratings, Movies movies, Set<Long> live, int heldOut, Path trainFile) {}

  public static Summary run(Options o) throws Exception {
    return new Demo(o).run();
  }

  /** Kafka, data, v1, the job, the replay with v2 half-way, the summary; everything stops on the way out. */
  private Summary run() throws Exception {
    Files.createDirectories(work);
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> {
      stop.set(true);
      main.interrupt();
    });
    Runtime.getRuntime().addShutdownHook(hook);
    EmbeddedKafka embedded = null;
    JobClient job = null;
    try {
      String bootstrap = o.bootstrap();
      if (bootstrap == null) {
        step("starting an embedded Kafka broker (KRaft, 127.0.0.1)");
        embedded = EmbeddedKafka.start(work.resolve("kafka"), true);
        bootstrap = embedded.bootstrapServers();
      } else {
        client = KafkaClients.userProperties(o.clientConfig(), Map.of());
      }
      try (Admin admin = Admin.create(withClient(KafkaClients.admin(bootstrap)))) {
        Topics.create(admin, (short) 1);
      }
      out.println("  kafka: " + bootstrap);
      Data data = prepareData();

      step("training v1 (Mult-VAE) on the CPU");
      publish(bootstrap, train(data.trainFile(), data.heldOut(), work.resolve("train-v1"), ModelType.VAE, o.epochs(), o.seed()), "v1");
      // v2 trains in the background while the replay runs
      CompletableFuture<Path> v2 = CompletableFuture.supplyAsync(() -> {
        try {
          return train(data.trainFile(), data.heldOut(), work.resolve("train-v2"), ModelType.DAE, o.epochs(), o.seed() + 1);
        } catch (Exception e) {
          throw new IllegalStateException("training v2 failed", e);
        }
      });

      job = startJob(bootstrap);
      Summary s = replay(bootstrap, data, v2);
      printSummary(s);
      return s;
    } finally {
      if (job != null) {
        try {
          Jobs.cancel(job, Duration.ofMinutes(1));
        } catch (Exception e) {
          // already gone
        }
      }
      if (embedded != null) {
        embedded.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
  }

  private java.util.Properties withClient(java.util.Properties p) {
    client.forEach(p::setProperty);
    return p;
  }

  /** The given MovieLens file, or generated ratings with real taste structure; live users held out of training. */
  private Data prepareData() throws Exception {
    Path ratings = o.ratings();
    Path moviesFile = o.movies();
    if (ratings == null) {
      step("generating MovieLens-shaped ratings with taste structure");
      new SyntheticMovieLens(o.synthUsers(), o.synthMovies(), 40, 12, o.seed()).write(work.resolve("data"), null);
      ratings = work.resolve("data/ratings.csv");
      moviesFile = work.resolve("data/movies.csv");
    }
    Movies movies = moviesFile == null ? Movies.empty() : Movies.load(moviesFile);
    List<Long> users = userIds(ratings);
    Set<Long> live = pickLiveUsers(users, o.liveUsers(), o.seed());
    // validation and test users for the demo's training runs: 5% of the training users
    int heldOut = Math.max(10, (users.size() - live.size()) / 20);
    Path trainFile = withoutUsers(ratings, live, work.resolve("data/train-ratings.csv"));
    out.printf("  data: %s (%d users held out for the live replay)%n", ratings, live.size());
    return new Data(ratings, movies, live, heldOut, trainFile);
  }

  private void publish(String bootstrap, Path bundle, String label) throws Exception {
    ModelRegistry.Version v = registry.publish(MODEL, bundle);
    ModelAnnouncer.announce(bootstrap, client, Topics.MODEL_UPDATES, ModelAnnouncer.event(v, "publish"));
    out.println("  published " + label + " -> " + v.dir());
  }

  private JobClient startJob(String bootstrap) throws Exception {
    step("starting the Flink job (local MiniCluster, RocksDB, lists sent as soon as they are scored)");
    String run = "recsys-demo-" + System.currentTimeMillis();
    JobConfig cfg = JobConfig.defaults()
        .set(JobConfig.BOOTSTRAP, bootstrap)
        .set(JobConfig.GROUP, run)
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.LATEST)
        .set(JobConfig.REGISTRY, registry.root().toString())
        .set(JobConfig.MODEL_NAME, MODEL)
        .set(JobConfig.CHECKPOINT_DIR, work.resolve("checkpoints").toString())
        .set(JobConfig.CHECKPOINT_INTERVAL, Duration.ofSeconds(1))
        .set(JobConfig.METRICS_WINDOW, METRICS_WINDOW)
        .set(JobConfig.TX_PREFIX, run);
    client.forEach((k, v) -> cfg.set("kafka.client." + k, v));
    cfg.validate();
    StreamExecutionEnvironment env = JobEnvironment.create(cfg, null);
    RecommenderJob.build(cfg, KafkaIO.ratings(env, cfg), KafkaIO.modelUpdates(env, cfg), KafkaIO.recommendations(cfg), KafkaIO.modelMetrics(cfg),
        KafkaIO.deadLetters(cfg));
    JobClient job = env.executeAsync("recsys demo");
    awaitRunning(job);
    out.println("  checkpoints: " + work.resolve("checkpoints"));
    return job;
  }

  /** Replays the live users' ratings, publishes v2 half-way, and waits until recommendations stop coming. */
  private Summary replay(String bootstrap, Data data, CompletableFuture<Path> v2) throws Exception {
    ReplayEvents events = ReplayEvents.load(data.ratings(), data.live(), 0, true);
    step(String.format("replaying %d ratings of %d held-out users at %.0f/s; recommendations as they arrive:", events.size(), data.live().size(), o.rate()));
    Watcher watcher = new Watcher(bootstrap, client, data.movies(), o.printEvery(), out);
    Thread watch = new Thread(watcher, "demo-tail");
    watch.setDaemon(true);
    watch.start();
    Thread.sleep(1000); // let the watcher join the topic before the first output

    long sent = 0;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(withClient(KafkaClients.idempotentProducer(bootstrap)), new ByteArraySerializer(), new ByteArraySerializer())) {
      int half = events.size() / 2;
      sent += Replayer.send(producer, Topics.RATINGS, events, 0, half, new Replayer.Pace(o.rate(), 0), i -> {}, stop::get);
      if (!stop.get()) {
        publish(bootstrap, v2.get(), "v2 (Mult-DAE)");
        out.println(">>> v2 announced; the job switches without a restart");
      }
      sent += Replayer.send(producer, Topics.RATINGS, events, half, events.size(), new Replayer.Pace(o.rate(), 0), i -> {}, stop::get);
    }
    // recommendations keep coming until the last checkpoints commit
    long quietSince = System.currentTimeMillis();
    long seen = watcher.count.get();
    while (!stop.get() && System.currentTimeMillis() - quietSince < 4000) {
      Thread.sleep(250);
      if (watcher.count.get() != seen) {
        seen = watcher.count.get();
        quietSince = System.currentTimeMillis();
      }
    }
    watcher.running.set(false);
    watch.join(5000);
    Thread.sleep(METRICS_WINDOW.toMillis() + 1000); // the last window's figures come out
    return watcher.summary(sent, onlineTotals(bootstrap, client));
  }

  /** Each version's latest live total on model-metrics (the topic read from its start to its end now). */
  private static Map<Integer, ModelMetricsEvent.Tally> onlineTotals(String bootstrap, Map<String, String> client) {
    MetricsTopic.Snapshot m = MetricsTopic.read(bootstrap, client, Topics.MODEL_METRICS, MODEL, Duration.ofSeconds(30));
    Map<Integer, ModelMetricsEvent.Tally> out = new TreeMap<>();
    m.events().stream()
        .filter(e -> e.kind().equals(ModelMetricsEvent.VERSION) && e.role().equals(ModelMetricsEvent.LIVE))
        .map(ModelMetricsEvent::modelVersion).distinct()
        .forEach(v -> out.put(v, m.version(v, ModelMetricsEvent.LIVE).orElseThrow().total()));
    return out;
  }

  private static Path train(Path ratings, int heldOut, Path out, ModelType type, int epochs, long seed) throws Exception {
    TrainConfig.Builder settings = TrainConfig.builder(type).epochs(epochs).batchSize(100).seed(seed);
    if (type == ModelType.VAE) {
      settings.hidden(200).latent(64).annealing(0.2, 2000);
    }
    TrainConfig cfg = settings.build();
    TrainingPipeline.Options opts = new TrainingPipeline.Options(ratings, null, Preprocessor.Options.paper(heldOut, seed), true, cfg,
        Device.cpu(), out, List.of(), new AutoencoderTrainer.Listener() {});
    return TrainingPipeline.run(opts).bundle();
  }

  /** The file's userIds, sorted. */
  private static List<Long> userIds(Path ratings) throws Exception {
    Set<Long> all = new HashSet<>();
    MovieLensReader.read(ratings, true, (u, m, r, t) -> all.add(u));
    List<Long> ids = new ArrayList<>(all);
    ids.sort(null);
    return ids;
  }

  private static Set<Long> pickLiveUsers(List<Long> ids, int n, long seed) {
    int[] order = Shuffle.permutation(ids.size(), new SplittableRandom(seed));
    Set<Long> live = new HashSet<>();
    for (int k = 0; k < Math.min(n, ids.size() / 5); k++) {
      live.add(ids.get(order[k]));
    }
    return live;
  }

  private static Path withoutUsers(Path ratings, Set<Long> exclude, Path out) throws Exception {
    Files.createDirectories(out.getParent());
    try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      w.write("userId,movieId,rating,timestamp\n");
      MovieLensReader.read(ratings, true, (u, m, r, t) -> {
        if (!exclude.contains(u)) {
          try {
            w.write(u + "," + m + "," + r + "," + t + "\n");
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      });
    }
    return out;
  }

  private static void awaitRunning(JobClient job) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      if (job.getJobStatus().get() == org.apache.flink.api.common.JobStatus.RUNNING) {
        Thread.sleep(1500); // sources need a moment to find their partitions
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the job did not start within a minute");
  }

  private void step(String what) {
    out.println("==> " + what);
  }

  private void printSummary(Summary s) {
    out.println();
    out.println("==> summary");
    out.printf("  events sent:            %,d%n", s.eventsSent());
    out.printf("  recommendations:        %,d (%,d popularity fallbacks; several events of a user in one batch are scored once)%n", s.recommendations(), s.fallbacks());
    out.printf("  versions served:        %s%n", s.perVersion().entrySet().stream().map(e -> "v" + e.getKey() + ": " + e.getValue()).collect(Collectors.joining(", ")));
    out.printf("  online, live (a positive rating of a new movie, against the user's last list from that version):%n");
    s.online().forEach((v, t) -> out.printf("    v%d: HitRate@10 %.3f, @20 %.3f, @100 %.3f, NDCG %.3f over %,d events%n", v,
        rate(t.scores().hits10(), t.events()), rate(t.scores().hits20(), t.events()), rate(t.scores().hits100(), t.events()),
        rate(t.scores().gainSum(), t.events()), t.events()));
    out.printf("  latency (the rating's Kafka timestamp to the job emitting its list):%n");
    out.printf("    event -> emit p50 %d ms, p95 %d ms, p99 %d ms, max %d ms%n", s.p50(), s.p95(), s.p99(), s.maxLatency());
    out.println("  work dir:               " + work);
    out.println("    data:        " + work.resolve("data"));
    out.println("    registry:    " + work.resolve("registry"));
    out.println("    checkpoints: " + work.resolve("checkpoints"));
    out.println("    reports:     " + work.resolve("train-v1/report.md") + ", " + work.resolve("train-v2/report.md"));
  }

  private static double rate(double x, long n) {
    return n == 0 ? 0 : x / n;
  }

  /** Follows the recommendations topic, prints some rows and keeps the numbers. */
  private static final class Watcher implements Runnable {
    final AtomicLong count = new AtomicLong();
    final AtomicBoolean running = new AtomicBoolean(true);
    private final String bootstrap;
    private final Movies movies;
    private final int printEvery;
    private final PrintStream out;
    private final ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    private final Map<Integer, Long> perVersion = new TreeMap<>();
    private final List<Integer> order = new ArrayList<>();
    private long fallbacks;

    private final Map<String, String> client;

    Watcher(String bootstrap, Map<String, String> client, Movies movies, int printEvery, PrintStream out) {
      this.bootstrap = bootstrap;
      this.client = client;
      this.movies = movies;
      this.printEvery = printEvery;
      this.out = out;
    }

    @Override
    public void run() {
      var props = KafkaClients.readCommittedConsumer(bootstrap, "recsys-demo-watch-" + System.nanoTime());
      client.forEach(props::setProperty);
      props.put("auto.offset.reset", "earliest");
      try (KafkaConsumer<String, RecommendationEvent> c =
          new KafkaConsumer<>(props, new StringDeserializer(), JsonSerde.deserializer(JsonCodec.RECOMMENDATION))) {
        c.subscribe(List.of(Topics.RECOMMENDATIONS));
        while (running.get()) {
          for (var r : c.poll(Duration.ofMillis(200))) {
            RecommendationEvent e = r.value();
            long n = count.incrementAndGet();
            latencies.add(e.emittedAt() - e.triggerPublishedAt());
            synchronized (this) {
              boolean newVersion = !perVersion.containsKey(e.modelVersion());
              perVersion.merge(e.modelVersion(), 1L, Long::sum);
              if (newVersion) {
                order.add(e.modelVersion());
                out.println(">>> first recommendation from v" + e.modelVersion());
              }
              if (e.fallback()) {
                fallbacks++;
              }
              if (newVersion || (n - 1) % printEvery == 0) {
                out.println("  " + TailCommand.format(e, movies, 4) + genres(e));
              }
            }
          }
        }
      }
    }

    private String genres(RecommendationEvent e) {
      Map<String, Long> g = e.items().stream().limit(10)
          .map(i -> movies.get(i.movieId()) == null ? "" : movies.get(i.movieId()).genres().split("\\|")[0])
          .filter(s -> !s.isEmpty())
          .collect(Collectors.groupingBy(s -> s, TreeMap::new, Collectors.counting()));
      return g.isEmpty() ? "" : "   top-10 genres " + g;
    }

    synchronized Summary summary(long sent, Map<Integer, ModelMetricsEvent.Tally> online) {
      long[] l = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
      return new Summary(sent, count.get(), new TreeMap<>(perVersion), fallbacks, Percentiles.of(l, 50), Percentiles.of(l, 95), Percentiles.of(l, 99),
          l.length == 0 ? 0 : l[l.length - 1], List.copyOf(order), online);
    }
  }
}
