package dev.recsys.kafka.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.JsonSerde;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@WithKafka
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaToolsTest {

  @TempDir Path tmp;

  /** A tool's exit code and what it printed. */
  record Run(int code, String out, String err) {}

  static Run execute(Object command, String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      // made after the redirection: picocli's own writers wrap the System streams of the moment
      int code = new CommandLine(command).execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  static String run(Object command, String... args) {
    Run r = execute(command, args);
    assertEquals(0, r.code(), "exit code of " + command.getClass().getSimpleName() + ": " + r.err());
    return r.out();
  }

  @Test
  @Order(1)
  void topicsCreateIsIdempotent(KafkaCluster kafka) {
    String first = run(new TopicsCommand(), "create", "--bootstrap", kafka.bootstrapServers());
    assertThat(first).contains("ratings          created").contains("model-updates    created");
    String second = run(new TopicsCommand(), "create", "--bootstrap", kafka.bootstrapServers());
    assertEquals(Topics.ALL.size(), second.lines().filter(l -> l.endsWith("exists")).count(), second);
    assertThat(run(new TopicsCommand(), "list", "--bootstrap", kafka.bootstrapServers())).contains("ratings          4 partitions, replication 1");
  }

  @Test
  @Order(2)
  void replaySendsTheSliceInTimestampOrderKeyedByUser(KafkaCluster kafka) throws Exception {
    Path csv = tmp.resolve("ratings.csv");
    StringBuilder sb = new StringBuilder("userId,movieId,rating,timestamp\n");
    // users 1..6, each with 5 ratings whose times interleave across users and are not in file order
    for (int u = 1; u <= 6; u++) {
      for (int k = 0; k < 5; k++) {
        sb.append(u).append(',').append(100 + k).append(',').append(0.5 + k).append(',').append(1000 + (5 - k) * 10 + u).append('\n');
      }
    }
    Files.writeString(csv, sb);
    run(new ReplayCommand(), "--ratings", csv.toString(), "--bootstrap", kafka.bootstrapServers(), "--users", "2-4,6", "--limit", "18", "--rate", "2000");
    List<ConsumerRecord<String, RatingEvent>> got = new ArrayList<>();
    try (KafkaConsumer<String, RatingEvent> c = new KafkaConsumer<>(KafkaClients.readCommittedConsumer(kafka.bootstrapServers(), "replay-test"),
        new StringDeserializer(), JsonSerde.deserializer(JsonCodec.RATING))) {
      c.subscribe(List.of(Topics.RATINGS));
      long deadline = System.currentTimeMillis() + 20_000;
      while (got.size() < 18 && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(got::add);
      }
      c.poll(Duration.ofMillis(500)).forEach(got::add);
    }
    assertEquals(18, got.size());
    assertThat(got).allMatch(r -> List.of(2L, 3L, 4L, 6L).contains(r.value().userId()) && r.key().equals(Long.toString(r.value().userId())));
    // the 18 earliest events of those users, in time order within each partition
    Map<Integer, List<Long>> perPartition = got.stream().collect(Collectors.groupingBy(ConsumerRecord::partition,
        Collectors.mapping(r -> r.value().timestamp(), Collectors.toList())));
    perPartition.values().forEach(ts -> assertEquals(ts.stream().sorted().toList(), ts));
    long latestSent = got.stream().mapToLong(r -> r.value().timestamp()).max().orElseThrow();
    // times are 1010+u, 1020+u, ... for u in {2,3,4,6}: the 18 earliest end with 1052 and 1053
    assertEquals(1053, latestSent / 1000, "the slice stops at the 18th earliest event");
    assertThat(got.stream().map(r -> r.value().timestamp()).sorted(Comparator.reverseOrder()).toList().get(0) % 1000).isZero();
  }

  @Test
  @Order(3)
  void tailShowsOnlyCommittedRecommendationsWithTitles(KafkaCluster kafka) throws Exception {
    Files.writeString(tmp.resolve("movies.csv"), "movieId,title,genres\n318,\"Shawshank Redemption, The (1994)\",Drama\n50,Usual Suspects (1995),Crime\n");
    Properties props = KafkaClients.idempotentProducer(kafka.bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tail-test");
    try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(rec(new RecommendationEvent(42, "ml", 3, List.of(new RecommendationEvent.Item(318, 2.0f), new RecommendationEvent.Item(50, 1.0f)), 1, 1075, false, 1000, 0, 5)));
      p.commitTransaction();
      p.beginTransaction();
      p.send(rec(new RecommendationEvent(43, "ml", 3, List.of(), 1, 2, false, 1, 0, 6)));
      p.flush();
      p.abortTransaction();
      p.beginTransaction();
      p.send(rec(new RecommendationEvent(44, "ml", 4, List.of(new RecommendationEvent.Item(50, 1.0f)), 1, 2, true, 0, 0, 7)));
      p.commitTransaction();
    }
    String out = run(new TailCommand(), "--bootstrap", kafka.bootstrapServers(), "--from-beginning", "--movies", tmp.resolve("movies.csv").toString(),
        "--idle-timeout", "3");
    List<String> lines = out.lines().toList();
    assertEquals(2, lines.size(), out);
    assertThat(lines.get(0)).contains("user 42").contains("ml v3").contains("75 ms").contains("Shawshank Redemption, The (1994) | Usual Suspects (1995)");
    assertThat(lines.get(1)).contains("user 44").contains("v4").contains("[popular]");
    assertThat(out).doesNotContain("user 43");

    String json = run(new TailCommand(), "--bootstrap", kafka.bootstrapServers(), "--from-beginning", "--json", "--max", "1");
    assertEquals(42, JsonCodec.RECOMMENDATION.decode(json.trim().getBytes(StandardCharsets.UTF_8)).userId());
  }

  @Test
  @Order(4)
  void dlqShowsReasons(KafkaCluster kafka) throws Exception {
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaClients.idempotentProducer(kafka.bootstrapServers()), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      p.send(new ProducerRecord<>(Topics.DEAD_LETTER, "ratings", JsonCodec.DEAD_LETTER.encode(
          dev.recsys.contracts.DeadLetterEvent.of("ratings", 2, 17, "oops".getBytes(StandardCharsets.UTF_8), "not JSON: oops", 5)))).get();
    }
    String out = run(new DlqCommand(), "--bootstrap", kafka.bootstrapServers(), "--max", "1");
    assertThat(out).contains("ratings[2]@17").contains("not JSON: oops").contains("payload: oops");
  }

  private static final String SECRET = "hunter2-FAKE";

  /** A client config as an operator would keep it: a password, and settings that change nothing against a PLAINTEXT broker. */
  private Path secretClientConfig(String... extra) throws Exception {
    Path cfg = tmp.resolve("client.properties");
    List<String> lines = new ArrayList<>(List.of(
        "ssl.truststore.password=" + SECRET,
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"ops\" password=\"" + SECRET + "\";"));
    lines.addAll(List.of(extra));
    Files.write(cfg, lines);
    return cfg;
  }

  @Test
  void clientConfigFileComesFirstThenClientProperties() throws Exception {
    Path cfg = secretClientConfig("client.id=from-file", "group.id=file-group", "max.poll.records=7");
    TailCommand tail = new TailCommand();
    new CommandLine(tail).parseArgs("--client-config", cfg.toString(), "--client-property", "max.poll.records=9");
    Properties p = tail.kafka.with(KafkaClients.readCommittedConsumer("broker:9092", "tool-group"));
    assertEquals("from-file", p.getProperty("client.id"));
    assertEquals("file-group", p.getProperty("group.id"), "the file overrides the tool's defaults");
    assertEquals("9", p.getProperty("max.poll.records"), "--client-property overrides the file");
    assertThat(p.getProperty("sasl.jaas.config")).endsWith("password=\"" + SECRET + "\";");
    assertEquals("broker:9092", p.getProperty("bootstrap.servers"));
  }

  @Test
  void aClientConfigFileReachesTheConsumer(KafkaCluster kafka) throws Exception {
    createTopic(kafka, "config-tail");
    Properties props = KafkaClients.idempotentProducer(kafka.bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "config-tail");
    try (KafkaProducer<String, String> p = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(rec("config-tail", new RecommendationEvent(50, "ml", 1, List.of(), 1, 2, false, 0, 0, 1)));
      p.commitTransaction();
      p.beginTransaction();
      p.send(rec("config-tail", new RecommendationEvent(51, "ml", 1, List.of(), 1, 2, false, 0, 0, 2)));
      p.flush();
      p.abortTransaction();
    }
    Path cfg = secretClientConfig("isolation.level=read_uncommitted");
    String[] tail = {"--bootstrap", kafka.bootstrapServers(), "--topic", "config-tail", "--from-beginning", "--idle-timeout", "3",
        "--client-config", cfg.toString()};
    // only a consumer that took the file's isolation level sees the aborted list
    Run uncommitted = execute(new TailCommand(), tail);
    assertEquals(0, uncommitted.code(), uncommitted.err());
    assertThat(uncommitted.out()).contains("user 50").contains("user 51");
    String committed = run(new TailCommand(), with(tail, "--client-property", "isolation.level=read_committed"));
    assertThat(committed).contains("user 50").doesNotContain("user 51");
    assertThat(uncommitted.out() + uncommitted.err() + committed).doesNotContain(SECRET);
  }

  @Test
  void helpAndUsageNameClientConfigButNeverItsValues() throws Exception {
    String cfg = secretClientConfig().toString();
    List<Supplier<Object>> tools = List.of(TopicsCommand::new, TopicsCommand::new, ReplayCommand::new, TailCommand::new, DlqCommand::new);
    List<List<String>> prefixes = List.of(List.of("create"), List.of("list"), List.of(), List.of(), List.of());
    for (int i = 0; i < tools.size(); i++) {
      List<String> args = new ArrayList<>(prefixes.get(i));
      args.addAll(List.of("--client-config", cfg, "--help"));
      Run help = execute(tools.get(i).get(), args.toArray(String[]::new));
      assertEquals(0, help.code(), args + ": " + help.err());
      assertThat(help.out()).as("help of %s", args).contains("--client-config=FILE").doesNotContain(SECRET);
    }
    for (Supplier<Object> tool : List.<Supplier<Object>>of(TailCommand::new, DlqCommand::new)) {
      // a mistake after the file was named: picocli answers with the error and the usage
      Run wrong = execute(tool.get(), "--client-config", cfg, "--max", "many");
      assertEquals(2, wrong.code());
      assertThat(wrong.err()).contains("Invalid value for option '--max'").contains("--client-config=FILE").doesNotContain(SECRET);
      assertThat(wrong.out()).doesNotContain(SECRET);
    }
  }

  @Test
  void dlqAndTailNeutraliseControlCharacters(KafkaCluster kafka) throws Exception {
    createTopic(kafka, "escapes-dlq");
    createTopic(kafka, "escapes-tail");
    String hostile = "\u001b[31mred\u0007\u007f\u009b2J";
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaClients.idempotentProducer(kafka.bootstrapServers()), new StringSerializer(),
        new ByteArraySerializer())) {
      p.send(new ProducerRecord<>("escapes-dlq", "ratings", JsonCodec.DEAD_LETTER.encode(
          DeadLetterEvent.of("ratings", 0, 9, hostile.getBytes(StandardCharsets.UTF_8), "not JSON: " + hostile, 5)))).get();
      p.send(new ProducerRecord<>("escapes-tail", "60", JsonCodec.RECOMMENDATION.encode(
          new RecommendationEvent(60, "ml" + hostile, 2, List.of(), 1, 2, false, 0, 0, 1)))).get();
    }
    String escaped = "\\u001b[31mred\\u0007\\u007f\\u009b2J";
    Path cfg = secretClientConfig();
    String dlq = run(new DlqCommand(), "--bootstrap", kafka.bootstrapServers(), "--topic", "escapes-dlq", "--max", "1", "--client-config", cfg.toString());
    assertThat(dlq).contains("ratings[0]@9  not JSON: " + escaped).contains("payload: " + escaped).doesNotContain(SECRET);
    assertNoControlCharactersButLineBreaks(dlq);
    String tail = run(new TailCommand(), "--bootstrap", kafka.bootstrapServers(), "--topic", "escapes-tail", "--from-beginning", "--max", "1",
        "--client-config", cfg.toString());
    assertThat(tail).contains("user 60").contains("ml" + escaped + " v2").doesNotContain(SECRET);
    assertNoControlCharactersButLineBreaks(tail);
  }

  private static void assertNoControlCharactersButLineBreaks(String out) {
    assertThat(out.chars().filter(c -> Character.isISOControl(c) && c != '\n' && c != '\r'))
        .as("control characters in %s", out).isEmpty();
  }

  @Test
  void jsonOutputPrintsATombstoneAsNull(KafkaCluster kafka) throws Exception {
    createTopic(kafka, "tombstones");
    try (KafkaProducer<String, String> p = new KafkaProducer<>(KafkaClients.idempotentProducer(kafka.bootstrapServers()), new StringSerializer(),
        new StringSerializer())) {
      p.send(new ProducerRecord<>("tombstones", "42", null)).get();
    }
    String[] from = {"--bootstrap", kafka.bootstrapServers(), "--topic", "tombstones", "--max", "1"};
    assertEquals("null", run(new DlqCommand(), with(from, "--json")).strip());
    assertEquals("null", run(new TailCommand(), with(from, "--json", "--from-beginning")).strip());
    assertThat(run(new DlqCommand(), from)).contains("(unreadable dead letter: empty message)");
    assertThat(run(new TailCommand(), with(from, "--from-beginning"))).contains("(unreadable record: empty message)");
  }

  private static String[] with(String[] args, String... more) {
    return Stream.concat(Arrays.stream(args), Arrays.stream(more)).toArray(String[]::new);
  }

  private static void createTopic(KafkaCluster kafka, String name) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
    }
  }

  private static ProducerRecord<String, String> rec(RecommendationEvent e) {
    return rec(Topics.RECOMMENDATIONS, e);
  }

  private static ProducerRecord<String, String> rec(String topic, RecommendationEvent e) {
    return new ProducerRecord<>(topic, Long.toString(e.userId()), new String(JsonCodec.RECOMMENDATION.encode(e), StandardCharsets.UTF_8));
  }
}
