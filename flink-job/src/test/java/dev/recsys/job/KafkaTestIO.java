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
  private final String suffix;

  KafkaTestIO(String bootstrap) {
    this(bootstrap, "");
  }

  /** Every topic named {@code <topic><suffix>}: a test of its own on a shared broker. */
  KafkaTestIO(String bootstrap, String suffix) {
    this.bootstrap = bootstrap;
    this.suffix = suffix;
  }

  private String topic(String name) {
    return name + suffix;
  }

  /** The job's settings for these topics. */
  JobConfig topicsOf(JobConfig c) {
    return c.set(JobConfig.RATINGS_TOPIC, topic(Topics.RATINGS))
        .set(JobConfig.RECOMMENDATIONS_TOPIC, topic(Topics.RECOMMENDATIONS))
        .set(JobConfig.MODEL_UPDATES_TOPIC, topic(Topics.MODEL_UPDATES))
        .set(JobConfig.MODEL_METRICS_TOPIC, topic(Topics.MODEL_METRICS))
        .set(JobConfig.DEAD_LETTER_TOPIC, topic(Topics.DEAD_LETTER));
  }

  void createTopics() throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      if (suffix.isEmpty()) {
        Topics.create(admin, (short) 1);
        return;
      }
      admin.createTopics(Topics.ALL.stream()
          .map(t -> new org.apache.kafka.clients.admin.NewTopic(topic(t.name()), t.partitions(), (short) 1).configs(t.configs()))
          .toList()).all().get();
    }
  }

  /** A topic of its own, for a second job's output or other topic settings. */
  void createTopic(String name, java.util.Map<String, String> configs) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(name, 1, (short) 1).configs(configs))).all().get();
    }
  }

  void ratings(List<RatingEvent> events) {
    send(topic(Topics.RATINGS), events.stream().map(e -> new Object[] {Long.toString(e.userId()), JsonCodec.RATING.encode(e)}).toList());
  }

  void raw(String topic, String key, String payload) {
    send(topic, List.<Object[]>of(new Object[] {key, payload.getBytes(StandardCharsets.UTF_8)}));
  }

  void announce(ModelRegistry.Version v) {
    announce(TestRegistry.announcement(v));
  }

  void announce(ModelUpdateEvent e) {
    send(topic(Topics.MODEL_UPDATES), List.<Object[]>of(new Object[] {e.key(), JsonCodec.MODEL_UPDATE.encode(e)}));
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
    return recommendations(topic(Topics.RECOMMENDATIONS), done, timeout);
  }

  List<RecommendationEvent> recommendations(String topic, Predicate<List<RecommendationEvent>> done, Duration timeout) {
    return readUntil(topic, JsonSerde.deserializer(JsonCodec.RECOMMENDATION), done, timeout);
  }

  List<dev.recsys.contracts.ModelMetricsEvent> modelMetrics(Predicate<List<dev.recsys.contracts.ModelMetricsEvent>> done, Duration timeout) {
    return readUntil(topic(Topics.MODEL_METRICS), JsonSerde.deserializer(JsonCodec.MODEL_METRICS), done, timeout);
  }

  List<DeadLetterEvent> deadLetters(Predicate<List<DeadLetterEvent>> done, Duration timeout) {
    return readUntil(topic(Topics.DEAD_LETTER), JsonSerde.deserializer(JsonCodec.DEAD_LETTER), done, timeout);
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
