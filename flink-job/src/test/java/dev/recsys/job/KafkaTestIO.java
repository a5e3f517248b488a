package dev.recsys.job;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.JsonSerde;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Producing ratings and announcements, and reading committed output, for the job's tests. */
final class KafkaTestIO {

  private final String bootstrap;

  KafkaTestIO(String bootstrap) {
    this.bootstrap = bootstrap;
  }

  void createTopics() throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      Topics.create(admin, (short) 1);
    }
  }

  /** A topic of its own, for a second job's output or other topic settings. */
  void createTopic(String name, java.util.Map<String, String> configs) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(name, 1, (short) 1).configs(configs))).all().get();
    }
  }

  void ratings(List<RatingEvent> events) {
    send(Topics.RATINGS, events.stream().map(e -> new Object[] {Long.toString(e.userId()), JsonCodec.RATING.encode(e)}).toList());
  }

  void raw(String topic, String key, String payload) {
    send(topic, List.<Object[]>of(new Object[] {key, payload.getBytes(StandardCharsets.UTF_8)}));
  }

  void announce(ModelRegistry.Version v) {
    ModelUpdateEvent e = TestRegistry.announcement(v);
    send(Topics.MODEL_UPDATES, List.<Object[]>of(new Object[] {e.name(), JsonCodec.MODEL_UPDATE.encode(e)}));
  }

  private void send(String topic, List<Object[]> keyValues) {
    try (KafkaProducer<byte[], byte[]> p =
        new KafkaProducer<>(KafkaClients.idempotentProducer(bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (Object[] kv : keyValues) {
        p.send(new ProducerRecord<>(topic, ((String) kv[0]).getBytes(StandardCharsets.UTF_8), (byte[]) kv[1]));
      }
      p.flush();
    }
  }

  /** Reads committed recommendations until {@code done} holds for what was read, or the timeout. */
  List<RecommendationEvent> recommendations(Predicate<List<RecommendationEvent>> done, Duration timeout) {
    return recommendations(Topics.RECOMMENDATIONS, done, timeout);
  }

  List<RecommendationEvent> recommendations(String topic, Predicate<List<RecommendationEvent>> done, Duration timeout) {
    return readUntil(topic, JsonSerde.deserializer(JsonCodec.RECOMMENDATION), done, timeout);
  }

  List<DeadLetterEvent> deadLetters(Predicate<List<DeadLetterEvent>> done, Duration timeout) {
    return readUntil(Topics.DEAD_LETTER, JsonSerde.deserializer(JsonCodec.DEAD_LETTER), done, timeout);
  }

  private <T> List<T> readUntil(String topic, Deserializer<T> d, Predicate<List<T>> done, Duration timeout) {
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, T> c =
        new KafkaConsumer<>(KafkaClients.readCommittedConsumer(bootstrap, "test-" + UUID.randomUUID()), new StringDeserializer(), d)) {
      c.subscribe(List.of(topic));
      long deadline = System.currentTimeMillis() + timeout.toMillis();
      while (!done.test(out) && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
