package dev.recsys.app.bench;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.contracts.Topics;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Faults, in one bounded run on the loopback: the broker and the job in processes of their own, a
 * stream of ratings whose outcome is known, and, while it flows, 10,000 bad payloads, a set of
 * model attacks, a {@code kill -9} of the job followed by {@code --restore-latest}, and a stop and
 * restart of the broker on its log directory. At the end every user's latest list must be the one
 * the model gives for their whole history: anything else is a lost state update.
 */
@Command(name = "faults", mixinStandardHelpOptions = true,
    description = "Inject faults into the running system (loopback only) and count what survived: restarts, lost updates, repeats, dead letters, refused models.")
final class FaultBench implements Callable<Integer> {

  @Option(names = "--users", defaultValue = "300", description = "Users rating (default: ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--rounds", defaultValue = "24", description = "Ratings per user, one round each (default: ${DEFAULT-VALUE})")
  int rounds;

  @Option(names = "--fuzz", defaultValue = "10000", description = "Bad payloads to send (default: ${DEFAULT-VALUE})")
  int fuzz;

  @Option(names = "--delivery", defaultValue = "at_least_once", description = "sink.delivery of the job: at_least_once or exactly_once (default: ${DEFAULT-VALUE})")
  String delivery;

  private static final int ITEMS = 2000;
  private static final String MODEL = "bench";
  private static final Duration WAIT = Duration.ofMinutes(3);

  private Path work;
  private int port;
  private String bootstrap;
  private ModelRegistry registry;
  private int jobStarts;
  private final List<String> faults = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    work = Files.createTempDirectory("recsys-faults");
    System.out.printf("bench faults: %s; %s; %d users x %d ratings, %s delivery%n", Instant.now(), JobBench.machine(), users, rounds, delivery);
    registry = new ModelRegistry(work.resolve("registry"));
    Architecture arch = new Architecture(ModelType.DAE, ITEMS, new int[0], 64);
    ModelBundle v1Bundle = RandomBundle.write(work.resolve("bundles/v1"), arch, LongStream.rangeClosed(1, ITEMS).toArray(), 1);
    ModelRegistry.Version v1 = registry.publish(MODEL, v1Bundle.dir());
    port = ChildJvm.freePort();
    bootstrap = "127.0.0.1:" + port;
    ChildJvm broker = startBroker();
    ChildJvm job = null;
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(KafkaClients.idempotentProducer(bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      announce(producer, ModelUpdateEvent.of(MODEL, 1, v1.dir(), v1.sha256(), "dae", System.currentTimeMillis(), "publish"));
      job = startJob(false);
      Map<Long, List<RatingEvent>> sent = new LinkedHashMap<>();
      SplittableRandom rnd = new SplittableRandom(11);
      int attacks = 0;
      for (int round = 0; round < rounds; round++) {
        for (long u = 1; u <= users; u++) {
          RatingEvent e = new RatingEvent(u, 1 + rnd.nextInt(ITEMS), 0.5 * (1 + rnd.nextInt(10)), System.currentTimeMillis());
          sent.computeIfAbsent(u, k -> new ArrayList<>()).add(e);
          producer.send(new ProducerRecord<>(Topics.RATINGS, key(u), JsonCodec.RATING.encode(e)));
        }
        producer.flush();
        Thread.sleep(250);
        if (round == rounds / 6) {
          sendFuzz(producer, rnd);
          faults.add(fuzz + " bad payloads");
        } else if (round == rounds / 3) {
          ModelRegistry.Version v2 = registry.publish(MODEL, RandomBundle.write(work.resolve("bundles/v2"), arch,
              LongStream.rangeClosed(1, ITEMS).toArray(), 2).dir());
          announce(producer, ModelUpdateEvent.of(MODEL, 2, v2.dir(), v2.sha256(), "dae", System.currentTimeMillis(), "publish"));
          Thread.sleep(3000); // v2 in service before the attacks
          attacks = attack(producer, arch, v1);
        } else if (round == rounds / 2) {
          awaitCheckpoint(thawedAt); // a checkpoint taken after the freeze's failover, to restore from
          job.kill();
          faults.add("kill -9 of the job");
          job = startJob(true);
        } else if (round == 5 * rounds / 12) {
          // frozen past the heartbeat timeout, the job's task manager counts as lost when it thaws:
          // its tasks fail and Flink restarts them from the last checkpoint
          job.signal("STOP");
          Thread.sleep(8_000);
          job.signal("CONT");
          thawedAt = System.currentTimeMillis();
          faults.add("job frozen (SIGSTOP) for 8 s, past its 5 s heartbeat timeout");
        } else if (round == 7 * rounds / 12) {
          // the job is sending this round's lists when the broker goes silent: the sends time out
          Thread.sleep(3000);
          for (int k = 0; k < 10; k++) { // a backlog, so that lists are being sent when the broker stops answering
            for (long u = 1; u <= users; u++) {
              RatingEvent e = new RatingEvent(u, 1 + rnd.nextInt(ITEMS), 0.5 * (1 + rnd.nextInt(10)), System.currentTimeMillis() + k);
              sent.get(u).add(e);
              producer.send(new ProducerRecord<>(Topics.RATINGS, key(u), JsonCodec.RATING.encode(e)));
            }
          }
          producer.flush();
          Thread.sleep(300);
          broker.signal("STOP");
          Thread.sleep(12_000);
          broker.signal("CONT");
          faults.add("broker frozen (SIGSTOP) for 12 s while the job was sending");
        } else if (round == 2 * rounds / 3) {
          broker.close();
          faults.add("broker stop and restart on its log directory");
          Thread.sleep(2000);
          broker = startBroker();
        }
      }
      Map<Long, Expected> expected = expected(sent);
      Map<Long, RecommendationEvent> latest = new HashMap<>();
      List<RecommendationEvent> all = awaitLatest(expected, latest);
      List<DeadLetterEvent> dead = deadLetters(fuzz + attacks);
      report(registry.current(MODEL).orElseThrow(), expected, latest, all, dead, attacks);
      return 0;
    } finally {
      if (job != null) {
        job.close();
      }
      broker.close();
    }
  }

  private ChildJvm startBroker() throws Exception {
    ChildJvm broker = ChildJvm.start("broker", "1g", work.resolve("broker-" + System.nanoTime() + ".log"),
        List.of("kafka", "--port", Integer.toString(port), "--data-dir", work.resolve("kafka").toString()));
    broker.awaitLog(l -> l.startsWith("kafka: "), Duration.ofSeconds(90));
    return broker;
  }

  private ChildJvm startJob(boolean restoreLatest) throws Exception {
    jobStarts++;
    List<String> args = new ArrayList<>(List.of("job", "--bootstrap", bootstrap, "--registry", registry.root().toString(),
        "--model-name", MODEL, "--checkpoint-dir", work.resolve("checkpoints").toString(),
        "--set", "checkpoint.interval=1 s", "--set", "sink.delivery=" + delivery, "--set", "kafka.starting-offsets=earliest",
        "--set", "scoring.top-k=20",
        // the sink's sends give up within seconds, so a silent broker fails the task: Flink's own failover
        "--set", "kafka.client.delivery.timeout.ms=6000", "--set", "kafka.client.request.timeout.ms=3000",
        // a task manager silent for 5 s is lost: a frozen job fails its tasks when it thaws
        "-Dheartbeat.interval=1000", "-Dheartbeat.timeout=5000"));
    if (restoreLatest) {
      args.addAll(List.of("--restore-latest", work.resolve("checkpoints").toString()));
    }
    ChildJvm job = ChildJvm.start("job", "2g", work.resolve("job-" + jobStarts + ".log"), args);
    // faults are meant for a running job: one still starting would have nothing to lose
    job.awaitLog(l -> l.matches(".*recommend subtask \\d+ open.*"), Duration.ofSeconds(120));
    return job;
  }

  /** When the frozen job was thawed (0 before that). */
  private long thawedAt;

  /** Waits for a checkpoint completed after {@code sinceMillis}, failing loudly after 60 s. */
  private void awaitCheckpoint(long sinceMillis) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      try (var files = Files.find(work.resolve("checkpoints"), 4, (f, a) -> f.getFileName().toString().equals("_metadata")
          && a.lastModifiedTime().toMillis() > sinceMillis)) {
        if (files.findAny().isPresent()) {
          return;
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("no checkpoint completed within 60 s after the job's freeze; see " + work);
  }

  /** Random bytes, truncated valid events, huge and deeply nested documents: none of them a usable rating. */
  private void sendFuzz(KafkaProducer<byte[], byte[]> p, SplittableRandom rnd) {
    for (int i = 0; i < fuzz; i++) {
      byte[] payload;
      switch (i % 4) {
        case 0 -> {
          payload = new byte[1 + rnd.nextInt(200)];
          for (int b = 0; b < payload.length; b++) {
            payload[b] = (byte) rnd.nextInt(256);
          }
        }
        case 1 -> {
          byte[] valid = JsonCodec.RATING.encode(new RatingEvent(1 + rnd.nextInt(users), 1 + rnd.nextInt(ITEMS), 4.0, System.currentTimeMillis()));
          payload = java.util.Arrays.copyOf(valid, 1 + rnd.nextInt(valid.length - 1)); // cut before its closing brace
        }
        case 2 -> payload = i % 400 == 2 ? ("{\"userId\":\"" + "x".repeat(900_000) + "\"}").getBytes(StandardCharsets.UTF_8)
            : ("{\"userId\":1,\"movieId\":2,\"rating\":4.0,\"timestamp\":" + (Long.MAX_VALUE - rnd.nextInt(1000)) + "}").getBytes(StandardCharsets.UTF_8);
        default -> payload = ("[".repeat(5000 + rnd.nextInt(5000)) + "]".repeat(10)).getBytes(StandardCharsets.UTF_8);
      }
      p.send(new ProducerRecord<>(Topics.RATINGS, key(1 + rnd.nextInt(users)), payload));
    }
    p.flush();
  }

  /** Announcements nobody published, each to be refused while v1 keeps serving; returns how many. */
  private int attack(KafkaProducer<byte[], byte[]> p, Architecture arch, ModelRegistry.Version v1) throws Exception {
    long now = System.currentTimeMillis();
    Path outside = work.resolve("outside");
    ModelBundle foreign = RandomBundle.write(outside.resolve("foreign"), arch, LongStream.rangeClosed(1, ITEMS).toArray(), 7);
    // a bundle with a NaN weight put into the registry by hand, past publish's checks
    Map<String, Tensor> weights = RandomBundle.weights(arch, 3);
    weights.values().iterator().next().data()[0] = Float.NaN;
    Path nanDir = registry.root().resolve(MODEL).resolve("v5");
    ModelBundle.write(nanDir, new BundleManifest(BundleManifest.FORMAT_VERSION, "dae", ITEMS, new int[0], 64, Map.of(), "attack", Map.of(),
        List.of(), now + "", null), new ItemVocabulary(LongStream.rangeClosed(1, ITEMS).toArray()), weights);
    String nanSha = dev.recsys.model.bundle.Digests.sha256(nanDir.resolve(ModelBundle.MANIFEST));
    Path link = registry.root().resolve(MODEL).resolve("v6");
    Files.createSymbolicLink(link, foreign.dir());
    List<ModelUpdateEvent> attacks = List.of(
        ModelUpdateEvent.of(MODEL, 1, v1.dir(), v1.sha256(), "dae", now - 86_400_000L, "publish"), // a replay, older than v1's announcement
        ModelUpdateEvent.of(MODEL, 2, foreign.dir(), foreign.sha256(), "dae", now + 1, "publish"), // another bundle, outside the registry
        ModelUpdateEvent.of(MODEL, 9, v1.dir(), v1.sha256(), "dae", now + 2, "publish"), // a label that is not its directory
        ModelUpdateEvent.of(MODEL, 6, link, foreign.sha256(), "dae", now + 3, "publish"), // a symlink out of the registry
        ModelUpdateEvent.of(MODEL, 5, nanDir, nanSha, "dae", now + 4, "publish"), // NaN weights
        ModelUpdateEvent.of(MODEL, 1, v1.dir(), "0".repeat(64), "dae", now + 5, "publish"), // the wrong digest
        new ModelUpdateEvent(MODEL, 3, "file:///" + "x".repeat(1_000_000), v1.sha256(), "dae", now + 6, "publish")); // a 1 MB URI
    for (ModelUpdateEvent e : attacks) {
      announce(p, e);
    }
    faults.add(attacks.size() + " model attacks");
    return attacks.size();
  }

  private void announce(KafkaProducer<byte[], byte[]> p, ModelUpdateEvent e) throws Exception {
    p.send(new ProducerRecord<>(Topics.MODEL_UPDATES, e.name().getBytes(StandardCharsets.UTF_8), JsonCodec.MODEL_UPDATE.encode(e))).get();
  }

  /** A user's history as the job should hold it, and the time of their last rating that changed it. */
  private record Expected(dev.recsys.job.UserHistory history, long lastChange) {}

  /** Replays each user's ratings the way the job applies them. */
  private static Map<Long, Expected> expected(Map<Long, List<RatingEvent>> sent) {
    Map<Long, Expected> out = new HashMap<>();
    sent.forEach((u, es) -> {
      dev.recsys.job.UserHistory h = new dev.recsys.job.UserHistory();
      long lastChange = -1;
      for (RatingEvent e : es) {
        if (h.apply(e.movieId(), (float) e.rating(), e.timestamp(), 500)) {
          lastChange = e.timestamp(); // a repeat of a rating asks for no new list
        }
      }
      out.put(u, new Expected(h, lastChange));
    });
    return out;
  }

  /**
   * Reads recommendations until every user's last changing rating has its list, or the wait ends
   * ({@link #waitingUsers} then counts who is still without it).
   */
  private List<RecommendationEvent> awaitLatest(Map<Long, Expected> expected, Map<Long, RecommendationEvent> latest) {
    List<RecommendationEvent> all = new ArrayList<>();
    var props = KafkaClients.readCommittedConsumer(bootstrap, "faults-" + System.nanoTime());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.RECOMMENDATIONS));
      long deadline = System.nanoTime() + WAIT.toNanos();
      do {
        for (var r : c.poll(Duration.ofMillis(200))) {
          RecommendationEvent e = JsonCodec.RECOMMENDATION.decode(r.value());
          all.add(e);
          if (e.supersedes(latest.get(e.userId()))) {
            latest.put(e.userId(), e);
          }
        }
        waitingUsers = expected.entrySet().stream()
            .filter(t -> !latest.containsKey(t.getKey()) || latest.get(t.getKey()).triggerTimestamp() != t.getValue().lastChange())
            .count();
      } while (waitingUsers > 0 && System.nanoTime() < deadline);
    }
    return all;
  }

  /** Users whose last list had not become visible when the wait ended (0 when everything arrived). */
  private long waitingUsers;

  private List<DeadLetterEvent> deadLetters(int expected) {
    List<DeadLetterEvent> out = new ArrayList<>();
    var props = KafkaClients.readCommittedConsumer(bootstrap, "faults-dlq-" + System.nanoTime());
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(Topics.DEAD_LETTER));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      long quietSince = System.nanoTime();
      while (System.nanoTime() < deadline && (out.size() < expected || System.nanoTime() - quietSince < 5_000_000_000L)) {
        for (var r : c.poll(Duration.ofMillis(200))) {
          out.add(JsonCodec.DEAD_LETTER.decode(r.value()));
          quietSince = System.nanoTime();
        }
      }
    }
    return out;
  }

  private void report(ModelRegistry.Version served, Map<Long, Expected> wanted, Map<Long, RecommendationEvent> latest,
      List<RecommendationEvent> all, List<DeadLetterEvent> dead, int attacks) throws Exception {
    int lost = 0;
    try (Scorer scorer = Scorer.open(ModelBundle.load(served.dir()), Device.cpu())) {
      for (Map.Entry<Long, Expected> w : wanted.entrySet()) {
        dev.recsys.job.UserHistory h = w.getValue().history();
        List<ScoredItem> expected = scorer.score(new UserQuery(h.positives(), h.rated()), 20).items();
        RecommendationEvent got = latest.get(w.getKey());
        if (got == null || got.modelVersion() != served.version() || !sameUpToTies(expected, got.items())) {
          lost++;
          if (lostExamples.size() < 5) {
            lostExamples.add(String.format("user %d: the model's list for their whole history (v%d) %s; the last list seen %s", w.getKey(),
                served.version(), expected, got));
          }
        }
      }
    }
    Map<String, List<List<Long>>> listsPerTrigger = new HashMap<>();
    all.forEach(r -> listsPerTrigger.computeIfAbsent(r.triggerPartition() + "@" + r.triggerOffset(), k -> new ArrayList<>())
        .add(r.items().stream().map(RecommendationEvent.Item::movieId).toList()));
    long repeats = listsPerTrigger.values().stream().mapToLong(l -> l.size() - 1).sum();
    long differingRepeats = listsPerTrigger.values().stream().filter(l -> l.stream().distinct().count() > 1).count();
    // distinct records: the dead-letter sink is at least once
    long badRatings = dead.stream().filter(d -> d.sourceTopic().equals(Topics.RATINGS)).map(d -> d.partition() + "@" + d.offset()).distinct().count();
    long refusals = dead.stream().filter(d -> d.sourceTopic().equals(Topics.MODEL_UPDATES)).map(d -> d.partition() + "@" + d.offset()).distinct().count();
    Set<Integer> servedVersions = new HashSet<>();
    all.forEach(r -> servedVersions.add(r.modelVersion()));
    boolean legitimateOnly = Set.of(1, 2).containsAll(servedVersions);
    int flinkRestarts = 0;
    try (var logs = Files.list(work)) {
      for (Path log : logs.filter(f -> f.getFileName().toString().startsWith("job-")).toList()) {
        flinkRestarts += (int) Files.readAllLines(log).stream().filter(l -> l.matches(".*recommend subtask 0 open, attempt [1-9].*")).count();
      }
    }
    System.out.println();
    System.out.println("| what | figure |");
    System.out.println("|---|---|");
    System.out.printf("| faults injected | %d (%s) |%n", faults.size(), String.join("; ", faults));
    System.out.printf("| restarts | %d of the job process (after kill -9), %d failovers inside Flink (the recommend task restarted from a checkpoint) |%n", jobStarts - 1, flinkRestarts);
    System.out.printf("| state updates lost | %d of %d users' final lists differ from the model's for their whole history |%n", lost, users);
    if (waitingUsers > 0) {
      System.out.printf("| users whose last list was still not visible after %d min | %d (counted in the row above) |%n", WAIT.toMinutes(), waitingUsers);
    }
    if ("exactly_once".equalsIgnoreCase(delivery)) {
      System.out.printf("| duplicate committed recommendations (exactly-once) | %d |%n", repeats);
    } else {
      System.out.printf("| repeats (at-least-once) | %d; %d of them with a list other than the first for their trigger |%n", repeats, differingRepeats);
    }
    System.out.printf("| bad inputs -> dead letters | %,d of %,d |%n", badRatings, fuzz);
    System.out.printf("| model attacks refused while the previous version kept serving | %d of %d%s |%n", Math.min(refusals, attacks), attacks,
        legitimateOnly ? " (lists came from v1 and v2 only)" : " (versions served: " + servedVersions + ")");
    lostExamples.forEach(l -> System.out.println("lost: " + l));
    System.out.println("work dir: " + work);
  }

  /**
   * The same list, except that items whose scores tie within float rounding may trade places: the
   * job scores a user in a batch, and a GEMM's rounding depends on the batch's shape.
   */
  static boolean sameUpToTies(List<ScoredItem> expected, List<RecommendationEvent.Item> got) {
    if (expected.size() != got.size()) {
      return false;
    }
    float last = expected.get(expected.size() - 1).score();
    for (int i = 0; i < got.size(); i++) {
      RecommendationEvent.Item g = got.get(i);
      if (Math.abs(g.score() - expected.get(i).score()) > TIE) {
        return false;
      }
      if (g.movieId() != expected.get(i).movieId()) {
        boolean tiedInList = expected.stream().anyMatch(e -> e.movieId() == g.movieId() && Math.abs(e.score() - g.score()) <= TIE);
        if (!tiedInList && Math.abs(g.score() - last) > TIE) {
          return false;
        }
      }
    }
    return true;
  }

  /** Float rounding between batch shapes: far below any difference one more rating makes. */
  private static final float TIE = 1e-6f;

  /** A few of the users counted as lost, with what they should have had and what they got. */
  private final List<String> lostExamples = new ArrayList<>();

  private static byte[] key(long user) {
    return Long.toString(user).getBytes(StandardCharsets.UTF_8);
  }
}
