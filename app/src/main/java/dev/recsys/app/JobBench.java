package dev.recsys.app;

import dev.recsys.job.JobConfig;
import dev.recsys.job.JobEnvironment;
import dev.recsys.job.KafkaIO;
import dev.recsys.job.RecommenderJob;
import dev.recsys.kafka.EmbeddedKafka;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.model.Architecture;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.LongStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load harness for the streaming job: an embedded broker, an ML-20M-size random Mult-VAE, the job
 * on a MiniCluster, and a stream of ratings of many distinct users (so every event is a scoring).
 * Reports committed recommendations per second and latency percentiles.
 */
@Command(name = "job", mixinStandardHelpOptions = true, description = "End-to-end throughput and latency of the Flink job on this machine.")
final class JobBench implements Callable<Integer> {

  @Option(names = "--items", defaultValue = "20108") int items;
  @Option(names = "--users", defaultValue = "200000", description = "Distinct users events are drawn from") int users;
  @Option(names = "--events", defaultValue = "60000") int events;
  @Option(names = "--rate", defaultValue = "0", description = "Events per second; 0 sends as fast as possible") double rate;
  @Option(names = "--batch", defaultValue = "256") int batch;
  @Option(names = "--batch-timeout", defaultValue = "20 ms") String batchTimeout;
  @Option(names = "--threads", defaultValue = "2", description = "PyTorch threads") int threads;
  @Option(names = "--checkpoint-interval", defaultValue = "1 s") String checkpointInterval;
  @Option(names = "--delivery", defaultValue = "exactly_once", description = "exactly_once or at_least_once") String delivery;
  @Option(names = "--parallelism", defaultValue = "1", description = "Job parallelism (each subtask scores with its own model copy)") int parallelism;

  @Override
  public Integer call() throws Exception {
    Path work = Files.createTempDirectory("recsys-jobbench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), true)) {
      try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
        Topics.create(admin, (short) 1);
      }
      Path bundle = work.resolve("bundle");
      RandomBundle.write(bundle, Architecture.paperVae(items), LongStream.rangeClosed(1, items).toArray(), 1);
      ModelRegistry registry = new ModelRegistry(work.resolve("registry"));
      registry.publish("bench", bundle);
      JobConfig cfg = JobConfig.defaults()
          .set(JobConfig.BOOTSTRAP, kafka.bootstrapServers())
          .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
          .set(JobConfig.REGISTRY, registry.root().toString())
          .set(JobConfig.MODEL_NAME, "bench")
          .set(JobConfig.BATCH_SIZE, batch)
          .set(JobConfig.BATCH_TIMEOUT.key(), batchTimeout)
          .set(JobConfig.SCORING_THREADS, threads)
          .set(JobConfig.CHECKPOINT_INTERVAL.key(), checkpointInterval)
          .set(JobConfig.CHECKPOINT_MODE.key(), delivery)
          .set(JobConfig.SINK_DELIVERY.key(), delivery)
          .set(JobConfig.CHECKPOINT_DIR, work.resolve("checkpoints").toString())
          .set(JobConfig.PARALLELISM, parallelism);
      StreamExecutionEnvironment env = JobEnvironment.create(cfg, null);
      RecommenderJob.build(cfg, KafkaIO.ratings(env, cfg), KafkaIO.modelUpdates(env, cfg), KafkaIO.recommendations(cfg), KafkaIO.deadLetters(cfg));
      JobClient job = env.executeAsync("bench");
      try {
        return measure(kafka.bootstrapServers());
      } finally {
        job.cancel().get();
      }
    }
  }

  private int measure(String bootstrap) throws Exception {
    SplittableRandom rnd = new SplittableRandom(3);
    long[] userOf = new long[events];
    for (int i = 0; i < events; i++) {
      userOf[i] = 1 + rnd.nextInt(users);
    }
    long[] receivedAt = new long[events];
    long[] emitLatency = new long[events];
    AtomicInteger received = new AtomicInteger();
    AtomicBoolean consuming = new AtomicBoolean(true);
    Thread consumer = new Thread(() -> {
      var props = KafkaClients.readCommittedConsumer(bootstrap, "bench-" + System.nanoTime());
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(Topics.RECOMMENDATIONS));
        while (consuming.get()) {
          for (var r : c.poll(Duration.ofMillis(100))) {
            long now = System.currentTimeMillis();
            // only two numbers are needed: a full decode here would steal CPU from the job
            String json = new String(r.value(), StandardCharsets.UTF_8);
            long published = longField(json, "\"triggerPublishedAt\":");
            int n = received.getAndIncrement();
            if (n < events) {
              receivedAt[n] = now - published;
              emitLatency[n] = longField(json, "\"emittedAt\":") - published;
            }
          }
        }
      }
    }, "bench-consumer");
    consumer.start();

    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(KafkaClients.idempotentProducer(bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      // warm-up: users get some history and the job loads the model
      int warm = Math.min(5000, events);
      for (int i = 0; i < warm; i++) {
        send(p, 1_000_000_000L + i, 1 + rnd.nextInt(items), 0);
      }
      p.flush();
      waitFor(received, warm / 4, 120);
      Thread.sleep(3000);
      int base = received.get();
      received.set(0);
      Arrays.fill(receivedAt, 0);
      System.out.printf("job: %d items (Mult-VAE 600/200), parallelism %d, batch %d, timeout %s, %d torch threads, %s delivery, checkpoint %s, %s%n",
          items, parallelism, batch, batchTimeout, threads, delivery, checkpointInterval, BenchCommand.cpu());
      System.out.printf("  warm-up: %d events, %d recommendations%n", warm, base);
      long t0 = System.nanoTime();
      for (int i = 0; i < events; i++) {
        if (rate > 0) {
          long wait = t0 + (long) (i * 1e9 / rate) - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
        send(p, userOf[i], 1 + rnd.nextInt(items), i + 1);
      }
      p.flush();
      double sendSeconds = (System.nanoTime() - t0) / 1e9;
      waitFor(received, (int) (events * 0.98), 600);
      Thread.sleep(2000);
      double seconds = (System.nanoTime() - t0) / 1e9;
      consuming.set(false);
      consumer.join(5000);
      int n = Math.min(received.get(), events);
      long[] visible = Arrays.copyOf(receivedAt, n);
      long[] emit = Arrays.copyOf(emitLatency, n);
      Arrays.sort(visible);
      Arrays.sort(emit);
      System.out.printf("  sent %d events in %.1f s (%.0f/s); %d recommendations committed in %.1f s: %.0f recommendations/s%n",
          events, sendSeconds, events / sendSeconds, n, seconds - 2, n / (seconds - 2));
      System.out.printf("  event -> emitted:   p50 %d ms, p95 %d ms, p99 %d ms, max %d ms%n", Percentiles.of(emit, 50), Percentiles.of(emit, 95), Percentiles.of(emit, 99), emit[n - 1]);
      System.out.printf("  event -> committed: p50 %d ms, p95 %d ms, p99 %d ms (includes waiting for the checkpoint that commits)%n",
          Percentiles.of(visible, 50), Percentiles.of(visible, 95), Percentiles.of(visible, 99));
    }
    return 0;
  }

  static long longField(String json, String key) {
    int at = json.indexOf(key) + key.length();
    int end = at;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Long.parseLong(json, at, end, 10);
  }

  private static void send(KafkaProducer<byte[], byte[]> p, long user, long movie, long ts) {
    RatingEvent e = new RatingEvent(user, movie, 4.5, ts);
    p.send(new ProducerRecord<>(Topics.RATINGS, Long.toString(user).getBytes(StandardCharsets.UTF_8), JsonCodec.RATING.encode(e)));
  }

  private static void waitFor(AtomicInteger counter, int target, int seconds) throws InterruptedException {
    long deadline = System.currentTimeMillis() + seconds * 1000L;
    while (counter.get() < target && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
  }

}
