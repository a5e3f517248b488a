package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster packaging as a Flink cluster runs it: a standalone session cluster (job manager and
 * task manager in their own JVMs) whose classpath is Flink plus {@code target/flink-lib} (DJL),
 * and the {@code -cluster} job jar submitted through Flink's command-line client, so the job runs
 * in Flink's child-first user-code class loader exactly as under {@code flink run}.
 *
 * <p>Two jobs run side by side in the one task manager: each has its own user-code class loader,
 * and both score with DJL. Had DJL been packed into the job jar, the second would fail with
 * libtorch "already loaded in another classloader".
 */
@WithKafka
class ClusterJarIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  /** What a Flink distribution's lib/ holds that the job jar must not rely on, and vice versa. */
  private static final List<String> NOT_ON_THE_CLUSTER =
      List.of("/dev/recsys/", "/org/apache/kafka/", "/ai/djl/", "/net/java/dev/jna/", "/info/picocli/", "/com/networknt/",
          "/com/ethlo/", "/com/fasterxml/jackson/", "/org/apache/flink/flink-connector-kafka/", "/org/junit/", "/org/assertj/",
          "/org/testcontainers/");

  @TempDir Path tmp;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : processes) {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void clusterJarScoresOnAStandaloneClusterWithDjlInLib(KafkaCluster kafkaCluster) throws Exception {
    Path jar = Path.of(System.getProperty("recsys.cluster.jar"));
    Path flinkLib = Path.of(System.getProperty("recsys.flink.lib"));
    assertTrue(Files.isRegularFile(jar), "cluster jar built: " + jar);
    Path registry = tmp.resolve("registry");
    TestRegistry.publish(registry, 1);
    KafkaTestIO kafka = new KafkaTestIO(kafkaCluster.bootstrapServers());
    kafka.createTopics();

    int restPort = freePort();
    Path conf = Files.createDirectories(tmp.resolve("conf"));
    Files.writeString(conf.resolve("config.yaml"), String.join("\n",
        "jobmanager.rpc.address: localhost",
        "jobmanager.bind-host: localhost",
        "jobmanager.rpc.port: " + freePort(),
        "jobmanager.memory.process.size: 1g",
        "rest.address: localhost",
        "rest.bind-address: localhost",
        "rest.port: " + restPort,
        "taskmanager.host: localhost",
        "taskmanager.bind-host: localhost",
        "taskmanager.numberOfTaskSlots: 2",
        // what Flink's start scripts would derive from taskmanager.memory.process.size
        "taskmanager.cpu.cores: 2",
        "taskmanager.memory.framework.heap.size: 128m",
        "taskmanager.memory.framework.off-heap.size: 128m",
        "taskmanager.memory.task.heap.size: 512m",
        "taskmanager.memory.task.off-heap.size: 64m",
        "taskmanager.memory.managed.size: 256m",
        "taskmanager.memory.network.min: 64m",
        "taskmanager.memory.network.max: 64m",
        "taskmanager.memory.jvm-metaspace.size: 256m",
        "taskmanager.memory.jvm-overhead.min: 192m",
        "taskmanager.memory.jvm-overhead.max: 192m",
        "parallelism.default: 1",
        // job settings in the cluster's configuration, as the chart puts them in the operator's
        // flinkConfiguration: the job reads them from there (top-k 10 shows in every list)
        "batch.size: 8",
        "scoring.top-k: 10",
        "checkpoint.interval: 1 s",
        ""));
    Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.out.ref = out",
        "appender.out.type = Console",
        "appender.out.name = out",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
        ""));
    String classpath = clusterClasspath(flinkLib);
    Path logs = Files.createDirectories(Path.of("target", "cluster-it-logs").toAbsolutePath()); // kept for a failure's post-mortem
    start(conf, classpath, logs.resolve("jobmanager.log"), "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
        "--configDir", conf.toString());
    start(conf, classpath, logs.resolve("taskmanager.log"), "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
        "--configDir", conf.toString());

    // two jobs from the same jar, reading the same ratings, writing to their own topics
    List<String> outputs = List.of("recommendations", "recommendations-second");
    kafka.createTopic(outputs.get(1), java.util.Map.of());
    for (String out : outputs) {
      submit(conf, classpath, logs.resolve("submit-" + out + ".log"), jar,
          "--bootstrap", kafkaCluster.bootstrapServers(),
          "--registry", registry.toString(),
          "--model-name", TestRegistry.NAME,
          "--checkpoint-dir", tmp.resolve("checkpoints-" + out).toString(),
          "--set", "topic.recommendations=" + out,
          "--set", "kafka.group=cluster-" + out,
          "--set", "job.name=cluster-" + out,
          "--set", "sink.transactional-id-prefix=cluster-" + out + "-" + UUID.randomUUID(),
          "--set", "kafka.starting-offsets=earliest");
    }

    List<RatingEvent> ratings = new ArrayList<>();
    for (long user = 1; user <= 5; user++) {
      for (int k = 0; k < 4; k++) {
        ratings.add(new RatingEvent(user, 1 + (user * 7 + k * 3) % TestRegistry.ITEMS, 4.5, 1_000 + user * 10 + k));
      }
    }
    kafka.ratings(ratings);
    Set<Long> users = ratings.stream().map(RatingEvent::userId).collect(Collectors.toSet());
    for (String out : outputs) {
      List<RecommendationEvent> recs = kafka.recommendations(out,
          got -> got.stream().map(RecommendationEvent::userId).collect(Collectors.toSet()).containsAll(users), WAIT);
      assertThat(recs).as("committed recommendations on %s (logs in %s)", out, logs)
          .extracting(RecommendationEvent::userId).containsAll(users);
      assertThat(recs).allSatisfy(r -> {
        assertThat(r.modelVersion()).isEqualTo(1);
        assertThat(r.items()).hasSize(10);
        // nothing the user had rated by the triggering event
        Set<Long> rated = ratings.stream().filter(e -> e.userId() == r.userId() && e.timestamp() <= r.triggerTimestamp())
            .map(RatingEvent::movieId).collect(Collectors.toSet());
        assertThat(rated).isNotEmpty();
        assertThat(r.items()).extracting(RecommendationEvent.Item::movieId).doesNotContainAnyElementsOf(rated);
      });
    }
    assertThat(Files.readString(logs.resolve("taskmanager.log"))).doesNotContain("already loaded in another classloader");
  }

  /**
   * This JVM's classpath without the job's own code and libraries (those come with the job jar)
   * and without DJL (which comes from flink-lib, as in the images).
   */
  private static String clusterClasspath(Path flinkLib) throws IOException {
    Path project = Path.of("").toAbsolutePath().getParent();
    Stream<String> flink = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !Path.of(e).toAbsolutePath().startsWith(project))
        .filter(e -> NOT_ON_THE_CLUSTER.stream().noneMatch(e.replace('\\', '/')::contains));
    try (Stream<Path> lib = Files.list(flinkLib)) {
      List<String> djl = lib.map(Path::toString).sorted().toList();
      return Stream.concat(flink, djl.stream()).collect(Collectors.joining(File.pathSeparator));
    }
  }

  private void start(Path conf, String classpath, Path log, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(javaCommand(classpath, conf));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("FLINK_CONF_DIR", conf.toString());
    processes.add(pb.start());
  }

  /** {@code flink run -d JAR ARGS} through Flink's own CLI entry point, as the images do. */
  private void submit(Path conf, String classpath, Path log, Path jar, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(javaCommand(classpath, conf));
    cmd.addAll(List.of("org.apache.flink.client.cli.CliFrontend", "run", "-d", jar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("FLINK_CONF_DIR", conf.toString());
    Process p = pb.start();
    assertTrue(p.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS), "flink run finished");
    String out = Files.readString(log);
    assertThat(out).as("flink run output").contains("Job has been submitted with JobID");
  }

  private static List<String> javaCommand(String classpath, Path conf) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // the module opens and DJL settings this test JVM runs with (offline, cache, threads)
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-exports") || a.startsWith("-DDJL")
            || a.startsWith("-Dai.djl") || a.startsWith("-DENGINE"))
        .forEach(cmd::add);
    cmd.addAll(List.of("-Xmx1g", "-Dai.djl.offline=true", "-cp", classpath));
    cmd.add(1, "-Dlog4j.configurationFile=" + conf.resolve("log4j.properties"));
    return cmd;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
