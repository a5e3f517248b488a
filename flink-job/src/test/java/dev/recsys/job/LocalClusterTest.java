package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.LongStream;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local run's embedded cluster replaces a task manager that stopped, and the job goes on. */
@WithKafka
class LocalClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path tmp;

  @Test
  void aStoppedTaskManagerIsReplacedAndTheJobRecovers(KafkaCluster kafkaCluster) throws Exception {
    Path registry = tmp.resolve("registry");
    TestRegistry.publish(registry, 1);
    KafkaTestIO kafka = new KafkaTestIO(kafkaCluster.bootstrapServers());
    kafka.createTopics();
    JobConfig config = JobConfig.defaults()
        .set(JobConfig.BOOTSTRAP, kafkaCluster.bootstrapServers())
        .set(JobConfig.GROUP, "job-" + UUID.randomUUID())
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
        .set(JobConfig.REGISTRY, registry.toString())
        .set(JobConfig.MODEL_NAME, TestRegistry.NAME)
        .set(JobConfig.BATCH_SIZE, 8)
        .set(JobConfig.TOP_K, 10)
        .set(JobConfig.CHECKPOINT_INTERVAL, Duration.ofMillis(500))
        .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString());
    StreamExecutionEnvironment env = JobEnvironment.create(config, null);
    RecommenderJob.build(config, KafkaIO.ratings(env, config), KafkaIO.modelUpdates(env, config),
        KafkaIO.recommendations(config), KafkaIO.modelMetrics(config), KafkaIO.deadLetters(config));

    try (LocalCluster cluster = LocalCluster.start(env, env.getParallelism())) {
      CompletableFuture<Void> run = CompletableFuture.runAsync(() -> {
        try {
          cluster.execute(env);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });

      List<Long> before = LongStream.rangeClosed(1, 5).boxed().toList();
      kafka.ratings(before.stream().map(u -> new RatingEvent(u, u, 4.0, 1_000 + u)).toList());
      assertThat(usersIn(kafka.recommendations(r -> usersIn(r).containsAll(before), WAIT))).containsAll(before);

      cluster.miniCluster().terminateTaskManager(0).get();

      List<Long> after = LongStream.rangeClosed(6, 10).boxed().toList();
      kafka.ratings(after.stream().map(u -> new RatingEvent(u, u, 4.0, 2_000 + u)).toList());
      assertThat(usersIn(kafka.recommendations(r -> usersIn(r).containsAll(after), WAIT)))
          .as("ratings sent after the task manager stopped are answered")
          .containsAll(after);
      assertThat(cluster.replaced()).isEqualTo(1);
      assertThat(run).isNotDone();

      for (JobStatusMessage job : cluster.miniCluster().listJobs().get()) {
        cluster.miniCluster().cancelJob(job.getJobId()).get();
      }
    }
  }

  private static Set<Long> usersIn(List<RecommendationEvent> recs) {
    Set<Long> users = new HashSet<>();
    recs.forEach(r -> users.add(r.userId()));
    return users;
  }
}
