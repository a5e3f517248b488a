package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.EmbeddedKafka;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job against a broker that takes SASL/PLAIN, given its credentials through {@code
 * --client-config}: the password reaches the Kafka clients (the job reads ratings and writes
 * recommendations through the secured listener) and appears nowhere in what the job prints, with
 * every logger at INFO. Once with the password in the file, once as the chart gives it: a
 * reference that Kafka's DirectoryConfigProvider resolves from a mounted Secret.
 */
class JobSecretsTest {

  static final String USER = "recsys";
  static final String PASSWORD = "s3cr3t-FAKE-pw-4711";
  private static final String JAAS =
      "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + USER + "\" password=\"" + PASSWORD + "\";";

  static EmbeddedKafka kafka;
  static KafkaTestIO io;
  static List<RatingEvent> ratings = new ArrayList<>();
  @TempDir static Path shared;
  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    kafka = EmbeddedKafka.startWithSaslUser(USER, PASSWORD);
    io = new KafkaTestIO(kafka.bootstrapServers()); // the test's own clients use the plaintext listener
    io.createTopics();
    TestRegistry.publish(shared.resolve("registry"), 1);
    for (long user = 1; user <= 4; user++) {
      for (int k = 0; k < 3; k++) {
        ratings.add(new RatingEvent(user, 1 + (user * 5 + k * 7) % TestRegistry.ITEMS, 4.5, 1_000 + user * 10 + k));
      }
    }
    io.ratings(ratings);
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"in-the-file", "through-a-config-provider"})
  void theJobAuthenticatesAndNeverPrintsThePassword(String how) throws Exception {
    String clientConfig = "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n";
    if (how.equals("in-the-file")) {
      clientConfig += "sasl.jaas.config=" + JAAS + "\n";
    } else {
      Path secret = Files.createDirectories(tmp.resolve("secret"));
      Files.writeString(secret.resolve("sasl.jaas.config"), JAAS);
      clientConfig += "config.providers=directory\n"
          + "config.providers.directory.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider\n"
          + "config.providers.directory.param.allowed.paths=" + secret + "\n"
          + "sasl.jaas.config=${directory:" + secret + ":sasl.jaas.config}\n";
    }
    Path file = Files.writeString(tmp.resolve("client.properties"), clientConfig);
    String topic = "recommendations-" + how;
    io.createTopic(topic, Map.of());

    Path log4j = Files.writeString(tmp.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.out.ref = out",
        "appender.out.type = Console",
        "appender.out.name = out",
        "appender.out.layout.type = PatternLayout",
        "appender.out.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
        ""));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-opens") || a.startsWith("-DDJL") || a.startsWith("-Dai.djl") || a.startsWith("-DENGINE"))
        .forEach(cmd::add);
    cmd.addAll(List.of("-Xmx1g", "-Dlog4j2.configurationFile=" + log4j, "-cp", System.getProperty("java.class.path"),
        JobCommand.class.getName(),
        "--bootstrap", kafka.saslBootstrapServers(),
        "--client-config", file.toString(),
        "--registry", shared.resolve("registry").toString(),
        "--model-name", TestRegistry.NAME,
        "--checkpoint-dir", tmp.resolve("checkpoints").toString(),
        "--job-name", "secrets-" + how,
        "--set", "topic.recommendations=" + topic,
        "--set", "kafka.starting-offsets=earliest",
        "--set", "checkpoint.interval=1 s",
        "--set", "batch.size=8",
        "--set", "scoring.top-k=10"));
    assertThat(String.join(" ", cmd)).doesNotContain(PASSWORD);
    Path out = tmp.resolve("job.log");
    Process job = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    Set<Long> users = ratings.stream().map(RatingEvent::userId).collect(Collectors.toSet());
    List<RecommendationEvent> recs;
    try {
      recs = io.recommendations(topic, got -> got.stream().map(RecommendationEvent::userId).collect(Collectors.toSet()).containsAll(users),
          Duration.ofSeconds(120));
    } finally {
      job.descendants().forEach(ProcessHandle::destroy);
      job.destroy();
      if (!job.waitFor(30, TimeUnit.SECONDS)) {
        job.destroyForcibly();
      }
    }
    String log = Files.readString(out);
    // through the SASL listener: the password reached the clients
    assertThat(recs).as("recommendations (job output in %s):%n%s", out, log).extracting(RecommendationEvent::userId).containsAll(users);
    assertThat(log).contains("job settings:").contains("kafka.client.sasl.jaas.config=***").contains("security.protocol = SASL_PLAINTEXT");
    assertThat(log.lines().count()).isGreaterThan(100); // Flink's and Kafka's INFO logging was on
    assertThat(log).doesNotContain(PASSWORD);
  }
}
