package dev.recsys.app.bench;

import ai.djl.Device;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.job.JobConfig;
import dev.recsys.model.Architecture;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The streaming job under load, run as a user runs it: the broker ({@code recsys kafka}) and the
 * job ({@code recsys job}, default settings) in processes of their own, this process as the load
 * client (a producer of ratings and a consumer of recommendations). In one run it measures the
 * scorer alone, the job's saturated rate (closed loop, at parallelism 1 and 2), then latency at
 * fractions of saturation (open loop), and the exactly-once sink's cost at one of them; with CPU
 * seconds per process and per stage of the job, and a PNG of latency against load.
 */
@Command(name = "job", mixinStandardHelpOptions = true,
    description = "The Flink job under load: saturation, latency at 25-90%% of it, CPU per process and stage, exactly-once's cost.")
final class JobBench implements Callable<Integer> {

  @Option(names = "--items", defaultValue = "20108", description = "Catalogue size of the random Mult-VAE 600/200 (default: ${DEFAULT-VALUE}, ML-20M's)")
  int items;

  @Option(names = "--users", defaultValue = "200000", description = "Distinct users rating (default: ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--batch", defaultValue = "256", description = "batch.size, also the scorer-alone batch (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--parallelism", split = ",", defaultValue = "1,2", description = "Parallelisms to saturate; the first one gets the latency sweep (default: ${DEFAULT-VALUE})")
  List<Integer> parallelisms;

  @Option(names = "--loads", split = ",", defaultValue = "25,50,75,90", description = "Offered loads, percent of saturation (default: ${DEFAULT-VALUE})")
  List<Integer> loads;

  @Option(names = "--rates", split = ",", paramLabel = "EVENTS_PER_S",
      description = "Offered loads in events/s instead of --loads: to compare settings at the same rate, whatever each run's saturation")
  List<Double> rates;

  @Option(names = "--load-seconds", defaultValue = "60", description = "Seconds per offered load (default: ${DEFAULT-VALUE})")
  int loadSeconds;

  @Option(names = "--saturation-seconds", defaultValue = "40", description = "Seconds of the closed-loop saturation phase (default: ${DEFAULT-VALUE})")
  int saturationSeconds;

  @Option(names = "--warmup-seconds", defaultValue = "40", description = "Seconds of one warm-up round (half full load, half a third of it), for the JIT (default: ${DEFAULT-VALUE})")
  int warmupSeconds;

  @Option(names = "--warmup-max-seconds", defaultValue = "180",
      description = "Warm-up rounds go on until the JIT compiler takes under 5%% of the job's CPU, or this long (default: ${DEFAULT-VALUE})")
  int warmupMaxSeconds;

  @Option(names = "--exactly-once-load", defaultValue = "50", description = "Percent of saturation to measure the exactly-once sink at; 0 skips (default: ${DEFAULT-VALUE})")
  int exactlyOnceLoad;

  @Option(names = "--job-heap", defaultValue = "8g", description = "The job process's heap, as ./recsys gives it (default: ${DEFAULT-VALUE})")
  String jobHeap;

  @Option(names = "--job-set", paramLabel = "KEY=VALUE", description = "A job setting, or a Flink configuration key, for every job this run starts, as the job's -D (repeatable)")
  Map<String, String> jobSettings = Map.of();

  @Option(names = "--compare", paramLabel = "KEY=VALUE",
      description = "A second variant's settings, on top of --job-set (repeatable): the run alternates both variants (A B, B A, ...) at the first "
          + "parallelism, --rounds times each, and prints them side by side and as medians; no parallelism 2, exactly-once or plot then")
  Map<String, String> compare = Map.of();

  @Option(names = "--rounds", defaultValue = "3", description = "With --compare: runs per variant (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--capacity-search", description = "After the sweep: bisect for the highest steady rate whose visible p99 meets 250 ms, then 100 ms "
      + "(MLPerf's server scenario), --capacity-probes probes per target of --capacity-probe-seconds each")
  boolean capacitySearch;

  @Option(names = "--capacity-probes", defaultValue = "5", description = "With --capacity-search: probes per target (default: ${DEFAULT-VALUE})")
  int capacityProbes;

  @Option(names = "--capacity-probe-seconds", defaultValue = "30", description = "With --capacity-search: seconds per probe (default: ${DEFAULT-VALUE})")
  int capacityProbeSeconds;

  @Option(names = "--plot", defaultValue = "target/bench/job-latency.png", description = "Latency against load, PNG (default: ${DEFAULT-VALUE})")
  Path plot;

  private static final int CORES = Runtime.getRuntime().availableProcessors();
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
  /** The first part of every measured window that is not counted: the job's queue settling to the new rate. */
  private static final long SETTLE_MS = 5000;

  /** One offered load's outcome. */
  record LoadPoint(int percent, double offered, Deliveries.Latencies latencies) {}

  /** CPU seconds used in a window: per process and per stage of the job. */
  record Cpu(double seconds, double broker, double job, double clients, Map<String, Double> stages) {
    double machine() {
      return seconds * CORES;
    }

    Cpu minus(Cpu before) {
      return new Cpu(seconds - before.seconds, broker - before.broker, job - before.job, clients - before.clients,
          ProcessCpu.minus(stages, before.stages));
    }
  }

  /** Refuses a measured window (option name to seconds) that its uncounted first seconds would leave empty. */
  static void requireLongerThanSettling(Map<String, Integer> windows) {
    windows.forEach((option, seconds) -> {
      if (seconds * 1000L <= SETTLE_MS) {
        throw new IllegalArgumentException(option + " must be above " + SETTLE_MS / 1000 + ": the first " + SETTLE_MS / 1000
            + " s of each measured window are not counted");
      }
    });
  }

  private Path work;
  private MachinePressure pressure;
  private String bootstrap;
  private Path registryRoot;

  @Override
  public Integer call() throws Exception {
    Map<String, Integer> windows = new LinkedHashMap<>();
    windows.put("--load-seconds", loadSeconds);
    windows.put("--saturation-seconds", saturationSeconds);
    if (capacitySearch) {
      windows.put("--capacity-probe-seconds", capacityProbeSeconds);
    }
    requireLongerThanSettling(windows);
    work = Files.createTempDirectory("recsys-jobbench");
    System.out.printf("bench job: %s; %s; %s; job settings %s%n", Instant.now(), machine(),
        "Mult-VAE " + items + "-600-200-600-" + items + " (random weights), top-100", jobSettings);
    registryRoot = work.resolve("registry");
    ModelBundle bundle = RandomBundle.write(work.resolve("bundle"), Architecture.paperVae(items), LongStream.rangeClosed(1, items).toArray(), 1);
    new ModelRegistry(registryRoot).publish("bench", bundle.dir());

    int threads = Math.max(1, CORES / parallelisms.get(0)); // the scorer alone has every core
    double alone = scorerAlone(bundle, threads);
    System.out.printf("scorer alone: %,.0f users/s at batch %d on %d cores, %s (nothing else running)%n", alone, batch, threads, jobConfig().scoringMode());

    int port = ChildJvm.freePort();
    try (MachinePressure machine = MachinePressure.start();
        ChildJvm broker = ChildJvm.start("broker", "1g", work.resolve("broker.log"), List.of("kafka", "--port", Integer.toString(port), "--data-dir", work.resolve("kafka").toString()))) {
      broker.awaitLog(l -> l.startsWith("kafka: "), Duration.ofSeconds(60));
      bootstrap = "127.0.0.1:" + port;
      pressure = machine;
      keepAppendTimes();
      try (Deliveries deliveries = new Deliveries(bootstrap); RatingLoad load = new RatingLoad(bootstrap, users, items)) {
        deliveries.awaitAssignment();
        Map<Integer, Double> saturated = new LinkedHashMap<>();
        Map<Integer, Cpu> cpuAtSaturation = new LinkedHashMap<>();
        List<LoadPoint> sweep = new ArrayList<>();
        if (!compare.isEmpty()) {
          compare(broker, load, deliveries, alone);
          return 0;
        }
        for (int p : parallelisms) {
          Trial t = trial(broker, load, deliveries, p, jobSettings, "job-p" + p, p == parallelisms.get(0));
          saturated.put(p, t.saturated());
          cpuAtSaturation.put(p, t.cpu());
          sweep.addAll(t.points());
        }
        LoadPoint exactlyOnce = null;
        if (exactlyOnceLoad > 0) {
          int p = parallelisms.get(0);
          try (ChildJvm job = startJob(p, "exactly_once", "job-exactly-once", jobSettings)) {
            warmUp(job, load, deliveries);
            double offered = saturated.get(p) * exactlyOnceLoad / 100.0;
            RatingLoad.Window lw = load.offer(offered, loadSeconds);
            deliveries.awaitAnswers("exactly-once at " + exactlyOnceLoad + "%", lw, 0.98, ANSWER_TIMEOUT);
            exactlyOnce = new LoadPoint(exactlyOnceLoad, offered, deliveries.latencies(lw.fromMs() + SETTLE_MS, lw.toMs()));
          }
        }
        report(alone, saturated, cpuAtSaturation, sweep, exactlyOnce);
        Files.createDirectories(plot.toAbsolutePath().getParent());
        LatencyPlot.write(plot, "Event to recommendation against load (parallelism " + parallelisms.get(0) + ", at-least-once)", sweep);
        System.out.println("plot: " + plot.toAbsolutePath());
      }
    }
    return 0;
  }

  /** One job's run: warm-up, saturation and (with {@code sweep}) the offered loads, each printed as it ends. */
  record Trial(double saturated, Cpu cpu, List<LoadPoint> points, List<List<CheckpointTimes.Checkpoint>> checkpoints) {}

  private Trial trial(ChildJvm broker, RatingLoad load, Deliveries deliveries, int p, Map<String, String> settings, String name, boolean sweep)
      throws Exception {
    try (ChildJvm job = startJob(p, "at_least_once", name, settings); StageTimeline stages = StageTimeline.watch(job.pid(), broker.pid())) {
      warmUp(job, load, deliveries);
      Cpu before = cpu(broker, job);
      RatingLoad.Window w = load.saturate(saturationSeconds, deliveries::count, 8L * batch * p);
      Cpu cpu = cpu(broker, job).minus(before);
      deliveries.awaitAnswers("saturation, parallelism " + p, w, 0.98, ANSWER_TIMEOUT);
      double rate = deliveries.emittedBetween(w.fromMs() + SETTLE_MS, w.toMs()) / (w.seconds() - SETTLE_MS / 1000.0);
      System.out.printf("saturated, parallelism %d: %,.0f recommendations/s (%,d events in %.0f s, closed loop)%n", p, rate, w.sent(), w.seconds());
      printStageMetrics(job);
      List<LoadPoint> points = new ArrayList<>();
      List<List<CheckpointTimes.Checkpoint>> checkpoints = new ArrayList<>();
      if (sweep) {
        List<Double> offers = rates != null ? rates : loads.stream().map(pct -> rate * pct / 100.0).toList();
        for (double offered : offers) {
          int pct = (int) Math.round(100 * offered / rate);
          Cpu start = cpu(broker, job);
          RatingLoad.Window lw = load.offer(offered, loadSeconds);
          Cpu used = cpu(broker, job).minus(start);
          System.out.printf("  %3d%%: CPU share of the machine: broker %.0f%%, clients %.0f%%, job %.0f%% (%s)%n", pct,
              100 * used.broker() / used.machine(), 100 * used.clients() / used.machine(), 100 * used.job() / used.machine(), used.stages());
          deliveries.awaitAnswers(pct + "% load", lw, 0.98, ANSWER_TIMEOUT);
          LoadPoint point = new LoadPoint(pct, offered, deliveries.latencies(lw.fromMs() + SETTLE_MS, lw.toMs()));
          points.add(point);
          System.out.printf("  %3d%% (%,.0f events/s): %s%n", pct, offered, point.latencies().describe());
          System.out.println("  " + pressure.describe(lw.fromMs() + SETTLE_MS, lw.toMs(), point.latencies().slowestSentAt()));
          System.out.println("  " + stages.describe(lw.fromMs() + SETTLE_MS, lw.toMs(), point.latencies().slowSeconds().worst()));
          checkpoints.add(printCheckpoints(job, lw));
          printMaterializations(job, lw.fromMs() + SETTLE_MS, lw.toMs(), point.latencies().slowestSentAt());
          printStageMetrics(job);
        }
        if (capacitySearch) {
          searchCapacity(load, deliveries, rate);
        }
      }
      return new Trial(rate, cpu, points, checkpoints);
    }
  }

  /**
   * The highest steady rates that meet the latency targets at 75% and 50% of saturation (p99 250
   * and 100 ms), between 10% and 100% of the closed-loop saturation: the closed loop's batches are
   * full, so its rate overstates what an open load of the same rate gets.
   */
  private void searchCapacity(RatingLoad load, Deliveries deliveries, double saturation) {
    CapacitySearch search = new CapacitySearch(rate -> {
      try {
        RatingLoad.Window w = load.offer(rate, capacityProbeSeconds);
        deliveries.awaitAnswers(String.format("capacity probe at %,.0f /s", rate), w, 0.98, ANSWER_TIMEOUT);
        Deliveries.Latencies l = deliveries.latencies(w.fromMs() + SETTLE_MS, w.toMs());
        System.out.printf("  capacity probe, %,.0f events/s (%.0f%%): %s%n", rate, 100 * rate / saturation, l.describe());
        return l.visible().p99();
      } catch (Exception e) {
        throw new IllegalStateException("capacity probe at " + rate + " /s failed", e);
      }
    });
    List<CapacitySearch.Capacity> found = new ArrayList<>();
    for (double target : new double[] {250, 100}) {
      found.add(search.search(target, 0.1 * saturation, saturation, capacityProbes));
    }
    found.forEach(c -> System.out.println("  capacity: " + c.describe(saturation)));
  }

  /**
   * Two variants alternately (A B, B A, A B, ...), so that a machine whose speed drifts within the
   * hour slows both alike; then each load's figures for both, per round and as medians.
   */
  private void compare(ChildJvm broker, RatingLoad load, Deliveries deliveries, double alone) throws Exception {
    Map<String, String> b = new LinkedHashMap<>(jobSettings);
    b.putAll(compare);
    Map<String, List<Trial>> trials = new LinkedHashMap<>();
    trials.put("A", new ArrayList<>());
    trials.put("B", new ArrayList<>());
    int p = parallelisms.get(0);
    for (int r = 1; r <= rounds; r++) {
      for (String v : r % 2 == 1 ? List.of("A", "B") : List.of("B", "A")) {
        System.out.printf("%n== round %d, variant %s: %s%n", r, v, v.equals("A") ? jobSettings : b);
        trials.get(v).add(trial(broker, load, deliveries, p, v.equals("A") ? jobSettings : b, "job-" + v + r, true));
      }
    }
    System.out.println();
    System.out.printf("== A: %s; B: A and %s (parallelism %d, %d rounds, alternating)%n", jobSettings, compare, p, rounds);
    System.out.println("| variant | round | share at saturation | load | events/s | visible p50 / p99 / max | visible after > 100 ms | synchronous parts |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    trials.forEach((v, ts) -> {
      for (int r = 0; r < ts.size(); r++) {
        Trial t = ts.get(r);
        for (int i = 0; i < t.points().size(); i++) {
          LoadPoint lp = t.points().get(i);
          Deliveries.Latencies l = lp.latencies();
          System.out.printf("| %s | %d | %.2f | %d%% | %,.0f | %d / %d / %d ms | %.2f%% | %s |%n", v, r + 1, share(t.saturated(), alone, t.cpu()), lp.percent(),
              lp.offered(), l.visible().p50(), l.visible().p99(), l.visible().max(), over100(l),
              t.checkpoints().get(i).stream().map(c -> c.sync() + "").collect(Collectors.joining(", ")) + " ms");
        }
      }
    });
    System.out.println();
    System.out.println("medians over the rounds:");
    System.out.println("| variant | share at saturation | load | visible p99 | visible max | visible after > 100 ms |");
    System.out.println("|---|---|---|---|---|---|");
    trials.forEach((v, ts) -> {
      double share = median(ts.stream().mapToDouble(t -> share(t.saturated(), alone, t.cpu())).toArray());
      for (int i = 0; i < ts.get(0).points().size(); i++) {
        int at = i;
        System.out.printf("| %s | %.2f | %s | %.0f ms | %.0f ms | %.2f%% |%n", v, share, rates != null ? String.format("%,.0f /s", rates.get(i)) : loads.get(i) + "%",
            median(ts.stream().mapToDouble(t -> t.points().get(at).latencies().visible().p99()).toArray()),
            median(ts.stream().mapToDouble(t -> t.points().get(at).latencies().visible().max()).toArray()),
            median(ts.stream().mapToDouble(t -> over100(t.points().get(at).latencies())).toArray()));
      }
    });
  }

  private static double over100(Deliveries.Latencies l) {
    return l.count() == 0 ? 0 : 100.0 * l.visibleOver100() / l.count();
  }

  static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** The job's rate against the scorer alone scaled to the share of the machine the broker and the clients left it. */
  static double share(double rate, double alone, Cpu c) {
    return rate / (alone * leftToJob(c));
  }

  private static double leftToJob(Cpu c) {
    return 1 - (c.broker() + c.clients()) / c.machine();
  }

  /**
   * The broker stamps each recommendation with its append time (the topic's {@code
   * message.timestamp.type}, here only), so that the time between emission and visibility splits
   * into the hop to the broker and the hop to the consumer.
   */
  private void keepAppendTimes() throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.RECOMMENDATIONS);
      admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(new ConfigEntry("message.timestamp.type", "LogAppendTime"),
          AlterConfigOp.OpType.SET)))).all().get();
    }
  }

  private ChildJvm startJob(int parallelism, String delivery, String name, Map<String, String> settings) throws Exception {
    int prom = ChildJvm.freePort();
    int rest = settings.containsKey("rest.bind-port") ? Integer.parseInt(settings.get("rest.bind-port")) : ChildJvm.freePort();
    String run = name + "-" + System.nanoTime();
    List<String> args = new ArrayList<>();
    settings.forEach((k, v) -> args.add("-D" + k + "=" + v));
    if (!settings.containsKey("rest.bind-port")) {
      args.add("-Drest.bind-port=" + rest);
    }
    args.addAll(0, List.of(
        "job", "--bootstrap", bootstrap, "--registry", registryRoot.toString(), "--model-name", "bench",
        "--checkpoint-dir", work.resolve("checkpoints").resolve(run).toString(), "--parallelism", Integer.toString(parallelism),
        "--set", "batch.size=" + batch, "--set", "sink.delivery=" + delivery, "--set", "kafka.starting-offsets=latest",
        "--set", "kafka.group=" + run, "--set", "sink.transactional-id-prefix=" + run,
        "-Dmetrics.reporter.prom.factory.class=org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        "-Dmetrics.reporter.prom.port=" + prom));
    ChildJvm job = ChildJvm.start(name, jobHeap, work.resolve(name + ".log"), args);
    promPorts.put(job.pid(), prom);
    restPorts.put(job.pid(), rest);
    return job;
  }

  private final Map<Long, Integer> promPorts = new TreeMap<>();
  private final Map<Long, Integer> restPorts = new TreeMap<>();

  /** The checkpoints taken while a load was offered: the slowest lists line up with them. */
  private List<CheckpointTimes.Checkpoint> printCheckpoints(ChildJvm job, RatingLoad.Window w) {
    try {
      List<CheckpointTimes.Checkpoint> cps = new CheckpointTimes(restPorts.get(job.pid())).between(w.fromMs(), w.toMs());
      System.out.println("  " + CheckpointTimes.describe(cps));
      return cps;
    } catch (Exception e) {
      System.out.println("  (checkpoint times unavailable: " + e.getMessage() + ")");
      return List.of();
    }
  }

  /** The changelog's materializations that ended while a load was measured: the slowest list often lines up with one. */
  private static void printMaterializations(ChildJvm job, long fromMs, long toMs, long slowestSentAt) {
    try {
      List<String> lines = Files.readAllLines(job.log(), StandardCharsets.ISO_8859_1); // any byte reads
      System.out.println("  " + Materializations.describe(Materializations.endedBetween(lines, fromMs, toMs, ZoneId.systemDefault()), slowestSentAt));
    } catch (IOException e) {
      System.out.println("  (materializations unavailable: " + e.getMessage() + ")");
    }
  }

  /** Until the job answers, then full load for the JIT; nothing of it is measured. */
  private void warmUp(ChildJvm job, RatingLoad load, Deliveries deliveries) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    long seen = deliveries.count();
    while (deliveries.count() == seen) {
      job.checkAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the job did not answer within 3 minutes");
      }
      load.offer(20, 1);
    }
    // both code paths the measurements take, full batches and the small ones of a partial load, in
    // rounds until the JIT compiler has settled: on a slow machine it is still busy after minutes
    long started = System.nanoTime();
    double jitShare;
    int rounds = 0;
    do {
      Map<String, Double> before = ProcessCpu.byStage(job.pid());
      RatingLoad.Window w = load.saturate(warmupSeconds / 2.0, deliveries::count, 8L * batch);
      deliveries.awaitAnswers("warm-up", w, 0.98, ANSWER_TIMEOUT);
      double rate = deliveries.emittedBetween(w.fromMs(), w.toMs()) / w.seconds();
      w = load.offer(rate / 3, warmupSeconds / 2.0);
      deliveries.awaitAnswers("warm-up", w, 0.98, ANSWER_TIMEOUT);
      Map<String, Double> used = ProcessCpu.minus(ProcessCpu.byStage(job.pid()), before);
      double total = used.values().stream().mapToDouble(Double::doubleValue).sum();
      jitShare = total == 0 ? 0 : used.getOrDefault(ProcessCpu.JIT, 0.0) / total;
      rounds++;
    } while (jitShare > WARM_JIT_SHARE && System.nanoTime() - started < warmupMaxSeconds * 1_000_000_000L);
    System.out.printf("warm-up: %d round(s) of %d s, %.0f s; the JIT compiler took %.1f%% of the job's CPU in the last one%s%n", rounds, warmupSeconds,
        (System.nanoTime() - started) / 1e9, 100 * jitShare, jitShare > WARM_JIT_SHARE ? " (still above " + (int) (100 * WARM_JIT_SHARE) + "%: --warmup-max-seconds ended it)" : "");
  }

  /** The JIT compiler's share of the job's CPU below which the job counts as warm. */
  private static final double WARM_JIT_SHARE = 0.05;

  private Cpu cpu(ChildJvm broker, ChildJvm job) throws IOException {
    return new Cpu(System.nanoTime() / 1e9, ProcessCpu.seconds(broker.pid()), ProcessCpu.seconds(job.pid()),
        ProcessCpu.seconds(ProcessHandle.current().pid()), ProcessCpu.byStage(job.pid()));
  }

  /** The job settings among --job-set (scoring.mode, scoring.vector-api, ...): the scorer alone uses them too. */
  private JobConfig jobConfig() {
    JobConfig c = JobConfig.defaults();
    jobSettings.forEach((k, v) -> {
      if (JobConfig.isSetting(k)) {
        c.set(k, v);
      }
    });
    return c.validate();
  }

  /**
   * The scorer on its own, in this process, on queries shaped like the load's, before anything else
   * runs, both ways it can use {@code threads} cores: one forward pass split over them, and (as the
   * job scores) that many threads with one batch and one PyTorch thread each. The faster is the
   * ceiling the job is measured against.
   */
  private double scorerAlone(ModelBundle bundle, int threads) throws InterruptedException {
    DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
    SplittableRandom rnd = new SplittableRandom(5);
    List<UserQuery> queries = new ArrayList<>();
    for (int u = 0; u < batch; u++) {
      long[] ids = rnd.longs(3, 1, items + 1).distinct().toArray();
      queries.add(UserQuery.ofItems(ids));
    }
    JobConfig job = jobConfig();
    try (Scorer scorer = Scorer.open(bundle, Device.cpu(), job.scoringMode(), job.get(JobConfig.SCORING_VECTOR_API))) {
      double split = scoreFor(scorer, queries, 1, threads);
      double apart = scoreFor(scorer, queries, threads, 1);
      System.out.printf("scorer alone: %,.0f users/s with one forward pass over %d PyTorch threads, %,.0f users/s with %d scoring threads of one each"
          + " (output layer on %s)%n", split, threads, apart, threads, scorer.outputLayerEngine());
      return Math.max(split, apart);
    }
  }

  /** Users per second that {@code scorers} threads, each with {@code torchThreads} PyTorch threads and its own batches, score in 15 s. */
  private double scoreFor(Scorer scorer, List<UserQuery> queries, int scorers, int torchThreads) throws InterruptedException {
    AtomicLong scored = new AtomicLong();
    CountDownLatch warm = new CountDownLatch(scorers);
    List<Thread> ts = new ArrayList<>();
    for (int i = 0; i < scorers; i++) {
      ts.add(new Thread(() -> {
        DjlRuntime.useIntraOpThreads(torchThreads);
        for (int w = 0; w < 20; w++) {
          scorer.score(queries, 100); // warm-up
        }
        warm.countDown();
        try {
          warm.await();
        } catch (InterruptedException e) {
          return;
        }
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 15_000_000_000L) {
          scorer.score(queries, 100);
          scored.addAndGet(batch);
        }
      }, "scorer-alone-" + i));
    }
    ts.forEach(Thread::start);
    warm.await();
    long from = System.nanoTime();
    for (Thread t : ts) {
      t.join();
    }
    return scored.get() / ((System.nanoTime() - from) / 1e9);
  }

  /** The job's per-stage metrics (its Prometheus reporter): where a recommendation's time goes. */
  private void printStageMetrics(ChildJvm job) {
    try {
      String body = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + promPorts.get(job.pid()) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Map<String, List<String>> rows = new TreeMap<>();
      for (String line : body.split("\n")) {
        for (String m : List.of("arrivalMillis", "parseMicros", "historyMicros", "queueMillis", "batchSize", "scoringMillis", "emitWaitMillis", "emitMillis",
            "eventToEmitMillis")) {
          if (line.startsWith("flink_taskmanager_job_task_operator_" + m + "{") && (line.contains("quantile=\"0.5\"") || line.contains("quantile=\"0.99\""))) {
            rows.computeIfAbsent(m, k -> new ArrayList<>()).add((line.contains("quantile=\"0.5\"") ? "p50 " : "p99 ") + line.substring(line.lastIndexOf(' ') + 1));
          }
        }
      }
      System.out.println("  the job's stage metrics (last samples, per subtask): " + rows);
    } catch (Exception e) {
      System.out.println("  (stage metrics unavailable: " + e.getMessage() + ")");
    }
  }

  private void report(double alone, Map<Integer, Double> saturated, Map<Integer, Cpu> cpus, List<LoadPoint> sweep, LoadPoint exactlyOnce) {
    System.out.println();
    System.out.println("== efficiency (saturation, closed loop)");
    for (Map.Entry<Integer, Double> s : saturated.entrySet()) {
      Cpu c = cpus.get(s.getKey());
      double eventsK = s.getValue() * c.seconds() / 1000;
      double leftToJob = leftToJob(c);
      System.out.printf("parallelism %d: %,.0f recommendations/s = %.2f of the scorer alone; broker + clients used %.0f%% of the machine, "
          + "so the job had %.0f%% of it: %.2f of the scorer alone scaled to that share%n",
          s.getKey(), s.getValue(), s.getValue() / alone, 100 * (1 - leftToJob), 100 * leftToJob, share(s.getValue(), alone, c));
      System.out.printf("  CPU seconds per 1,000 events: broker %.3f, clients %.3f, job %.3f (machine %d cores, %.0f s window)%n",
          c.broker() / eventsK, c.clients() / eventsK, c.job() / eventsK, CORES, c.seconds());
      c.stages().forEach((stage, sec) -> System.out.printf("    %-62s %.3f%n", stage, sec / eventsK));
    }
    System.out.println();
    System.out.println("== latency against load (open loop; event -> emitted: the job's emittedAt; -> visible: this read_committed consumer)");
    System.out.println("| load | events/s | emitted p50 / p99 / max | visible p50 / p99 / max |");
    System.out.println("|---|---|---|---|");
    for (LoadPoint p : sweep) {
      row(p, "at-least-once");
    }
    if (exactlyOnce != null) {
      row(exactlyOnce, "exactly-once");
    }
  }

  private static void row(LoadPoint p, String delivery) {
    Deliveries.Latencies l = p.latencies();
    System.out.printf("| %d%% (%s) | %,.0f | %d / %d / %d ms | %d / %d / %d ms |%n", p.percent(), delivery, p.offered(),
        l.emitted().p50(), l.emitted().p99(), l.emitted().max(), l.visible().p50(), l.visible().p99(), l.visible().max());
  }

  static String machine() {
    String model = "unknown CPU";
    try {
      model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(model);
    } catch (IOException e) {
      // not Linux
    }
    return CORES + " cores (" + model + "), " + (Runtime.getRuntime().maxMemory() >> 20) + " MB heap here, Java " + System.getProperty("java.version");
  }

}
