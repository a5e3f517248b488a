package dev.recsys.kafka.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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

  static String run(Object command, String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int code = new CommandLine(command).execute(args);
      assertEquals(0, code, "exit code of " + command.getClass().getSimpleName());
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
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

  private static ProducerRecord<String, String> rec(RecommendationEvent e) {
    return new ProducerRecord<>(Topics.RECOMMENDATIONS, Long.toString(e.userId()), new String(JsonCodec.RECOMMENDATION.encode(e), StandardCharsets.UTF_8));
  }
}
