package dev.recsys.kafka;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@WithKafka
class EmbeddedKafkaTest {

  @Test
  void produceConsumeRoundTrip(KafkaCluster kafka) throws Exception {
    createTopic(kafka.bootstrapServers(), "plain", 3);
    try (KafkaProducer<String, String> p = producer(KafkaClients.idempotentProducer(kafka.bootstrapServers()))) {
      for (int i = 0; i < 30; i++) {
        p.send(new ProducerRecord<>("plain", "user-" + (i % 5), "v" + i));
      }
      p.flush();
    }
    List<ConsumerRecord<String, String>> got = consume(kafka.bootstrapServers(), "plain", "g-plain", 30, false);
    assertEquals(30, got.size());
    // per key, values arrive in send order
    for (int k = 0; k < 5; k++) {
      String key = "user-" + k;
      List<Integer> seq = got.stream().filter(r -> r.key().equals(key)).map(r -> Integer.parseInt(r.value().substring(1))).toList();
      assertEquals(List.of(k, k + 5, k + 10, k + 15, k + 20, k + 25), seq);
    }
  }

  @Test
  void readCommittedSeesOnlyCommittedTransactions(KafkaCluster kafka) throws Exception {
    createTopic(kafka.bootstrapServers(), "tx", 1);
    Properties props = KafkaClients.idempotentProducer(kafka.bootstrapServers());
    props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "test-tx");
    try (KafkaProducer<String, String> p = producer(props)) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("tx", "k", "committed-1"));
      p.send(new ProducerRecord<>("tx", "k", "committed-2"));
      p.commitTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>("tx", "k", "aborted"));
      p.flush();
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>("tx", "k", "committed-3"));
      p.commitTransaction();
    }
    List<String> committed = consume(kafka.bootstrapServers(), "tx", "g-committed", 3, false).stream().map(ConsumerRecord::value).toList();
    assertEquals(List.of("committed-1", "committed-2", "committed-3"), committed);
    List<String> uncommitted = consume(kafka.bootstrapServers(), "tx", "g-uncommitted", 4, true).stream().map(ConsumerRecord::value).toList();
    assertTrue(uncommitted.contains("aborted"), "read_uncommitted sees the aborted record: " + uncommitted);
  }

  @Test
  void theEmbeddedBrokerLeavesItsSocketBuffersToTheOs(KafkaCluster kafka) throws Exception {
    assumeTrue(kafka.kind().equals("embedded"), "a broker of another kind keeps its own socket settings");
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
      Config cfg = admin.describeConfigs(List.of(broker)).all().get().get(broker);
      assertEquals("-1", cfg.get("socket.receive.buffer.bytes").value());
      assertEquals("-1", cfg.get("socket.send.buffer.bytes").value());
    }
    assertEquals("-1", KafkaClients.readCommittedConsumer("x:1", "g").getProperty("receive.buffer.bytes"));
  }

  @Test
  void topicsAreCreatedIdempotentlyWithTheirConfigs(KafkaCluster kafka) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      List<Topics.Outcome> first = Topics.create(admin, (short) 1);
      assertTrue(first.stream().allMatch(Topics.Outcome::created), first.toString());
      List<Topics.Outcome> second = Topics.create(admin, (short) 1);
      assertTrue(second.stream().noneMatch(Topics.Outcome::created), second.toString());
      assertEquals(Topics.ALL.size(), second.size());
      var desc = describeOnceServed(admin, List.of(Topics.MODEL_UPDATES, Topics.RATINGS));
      assertEquals(1, desc.get(Topics.MODEL_UPDATES).partitions().size());
      assertEquals(4, desc.get(Topics.RATINGS).partitions().size());
      ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, Topics.MODEL_UPDATES);
      Config cfg = admin.describeConfigs(List.of(res)).all().get().get(res);
      assertEquals("compact", cfg.get("cleanup.policy").value());
    }
  }

  /**
   * Topic descriptions once the broker serves the topics: a creation completes at the controller,
   * and the broker may learn of the new partitions a moment later.
   */
  private static Map<String, org.apache.kafka.clients.admin.TopicDescription> describeOnceServed(Admin admin, List<String> topics)
      throws Exception {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return admin.describeTopics(topics).allTopicNames().get();
      } catch (java.util.concurrent.ExecutionException e) {
        if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  @Test
  void aRestartOnTheSameDirectoryKeepsTopicsRecordsOffsetsAndTransactions(@TempDir Path dir) throws Exception {
    TopicPartition tp = new TopicPartition("kept", 0);
    Properties tx = new Properties();
    String clusterId;
    try (EmbeddedKafka first = EmbeddedKafka.start(dir, false)) {
      createTopic(first.bootstrapServers(), "kept", 1);
      tx.putAll(KafkaClients.idempotentProducer(first.bootstrapServers()));
      tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart-tx");
      try (KafkaProducer<String, String> p = producer(tx)) {
        p.initTransactions();
        p.beginTransaction();
        for (String v : List.of("a", "b", "c")) {
          p.send(new ProducerRecord<>("kept", "k", v));
        }
        p.commitTransaction();
        p.beginTransaction();
        p.send(new ProducerRecord<>("kept", "k", "aborted"));
        p.flush();
        p.abortTransaction();
      }
      try (KafkaConsumer<String, String> c = new KafkaConsumer<>(KafkaClients.readCommittedConsumer(first.bootstrapServers(), "restart-group"),
          new StringDeserializer(), new StringDeserializer())) {
        c.assign(List.of(tp));
        c.commitSync(Map.of(tp, new OffsetAndMetadata(2)));
      }
      try (Admin admin = Admin.create(KafkaClients.admin(first.bootstrapServers()))) {
        clusterId = admin.describeCluster().clusterId().get();
      }
    }

    // on new ports: what a restart must keep is the storage
    try (EmbeddedKafka second = EmbeddedKafka.start(dir, false)) {
      String bootstrap = second.bootstrapServers();
      try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
        assertEquals(clusterId, admin.describeCluster().clusterId().get());
        assertTrue(admin.listTopics().names().get().contains("kept"));
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("restart-group").partitionsToOffsetAndMetadata().get();
        assertEquals(List.of(tp), List.copyOf(offsets.keySet()));
        assertEquals(2, offsets.get(tp).offset());
      }
      // the markers survived: the aborted record stays hidden
      assertEquals(List.of("a", "b", "c"), consume(bootstrap, "kept", "after-restart", 3, false).stream().map(ConsumerRecord::value).toList());
      // the transaction coordinator's state survived too: the same transactional id goes on
      tx.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (KafkaProducer<String, String> p = producer(tx)) {
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>("kept", "k", "d"));
        p.commitTransaction();
      }
      assertEquals(List.of("a", "b", "c", "d"),
          consume(bootstrap, "kept", "after-second-tx", 4, false).stream().map(ConsumerRecord::value).toList());
    }
  }

  private static void createTopic(String bootstrap, String name, int partitions) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
    }
  }

  private static KafkaProducer<String, String> producer(Properties props) {
    return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
  }

  static List<ConsumerRecord<String, String>> consume(
      String bootstrap, String topic, String group, int atLeast, boolean uncommitted) {
    Properties props = KafkaClients.readCommittedConsumer(bootstrap, group);
    if (uncommitted) {
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    }
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + 30_000;
      while (out.size() < atLeast && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // a little longer, to catch anything that should not be there
      c.poll(Duration.ofMillis(500)).forEach(out::add);
    }
    return out;
  }
}
