package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.RecommendationEvent;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.flink.util.Collector;

/** The job's Kafka sources and sinks, built from {@link JobConfig}. */
public final class KafkaIO {

  private KafkaIO() {}

  /** The ratings source, keeping partition and offset for dead letters. */
  public static DataStream<RawRecord> ratings(StreamExecutionEnvironment env, JobConfig c) {
    KafkaSource<RawRecord> source =
        KafkaSource.<RawRecord>builder()
            .setBootstrapServers(c.get(JobConfig.BOOTSTRAP))
            .setTopics(c.get(JobConfig.RATINGS_TOPIC))
            .setGroupId(c.group())
            .setStartingOffsets(startingOffsets(c.get(JobConfig.STARTING_OFFSETS)))
            .setDeserializer(new RawDeserializer())
            // the OS sizes the socket's buffer (see KafkaClients.OS_SOCKET_BUFFER); the user's kafka.client.* settings win
            .setProperty(ConsumerConfig.RECEIVE_BUFFER_CONFIG, Integer.toString(KafkaClients.OS_SOCKET_BUFFER))
            .setProperties(c.kafkaClientProperties())
            .setProperty("commit.offsets.on.checkpoint", "true")
            .build();
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "ratings").uid("ratings-source");
  }

  /**
   * The model-updates source: always from the beginning of the compacted topic (which holds the
   * latest announcement per model), in a group of its own per job instance.
   */
  public static DataStream<RawRecord> modelUpdates(StreamExecutionEnvironment env, JobConfig c) {
    KafkaSource<RawRecord> source =
        KafkaSource.<RawRecord>builder()
            .setBootstrapServers(c.get(JobConfig.BOOTSTRAP))
            .setTopics(c.get(JobConfig.MODEL_UPDATES_TOPIC))
            .setGroupId(c.group() + "-model-updates")
            .setStartingOffsets(OffsetsInitializer.earliest())
            .setDeserializer(new RawDeserializer())
            .setProperties(c.kafkaClientProperties())
            .build();
    return env.fromSource(source, WatermarkStrategy.noWatermarks(), "model-updates").uid("model-updates-source").setParallelism(1);
  }

  /** Exactly-once recommendations, keyed by userId. */
  public static KafkaSink<RecommendationEvent> recommendations(JobConfig c) {
    Properties p = new Properties();
    // a batch of a few hundred lists (about 2 KB each) in a few requests rather than dozens: the
    // broker's and the producer's cost is per request; the user's kafka.client.* settings win
    p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
    p.setProperty(ProducerConfig.LINGER_MS_CONFIG, "2");
    p.putAll(c.kafkaClientProperties());
    p.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(c.get(JobConfig.TX_TIMEOUT).toMillis()));
    return KafkaSink.<RecommendationEvent>builder()
        .setBootstrapServers(c.get(JobConfig.BOOTSTRAP))
        .setKafkaProducerConfig(p)
        .setRecordSerializer(
            (KafkaRecordSerializationSchema<RecommendationEvent>)
                (e, ctx, ts) -> new ProducerRecord<>(c.get(JobConfig.RECOMMENDATIONS_TOPIC), key(e.userId()), JsonCodec.RECOMMENDATION.encode(e)))
        .setDeliveryGuarantee(c.get(JobConfig.SINK_DELIVERY).guarantee)
        .setTransactionalIdPrefix(c.transactionalIdPrefix())
        .build();
  }

  /** Online metrics per model version, keyed by model name, at least once (a repeat restates its window). */
  public static KafkaSink<ModelMetricsEvent> modelMetrics(JobConfig c) {
    return atLeastOnce(c, c.get(JobConfig.MODEL_METRICS_TOPIC), JsonCodec.MODEL_METRICS, ModelMetricsEvent::modelName);
  }

  /** Dead letters, at least once (a repeated dead letter is harmless; a lost one is not). */
  public static KafkaSink<DeadLetterEvent> deadLetters(JobConfig c) {
    return atLeastOnce(c, c.get(JobConfig.DEAD_LETTER_TOPIC), JsonCodec.DEAD_LETTER, DeadLetterEvent::sourceTopic);
  }

  /** An at-least-once sink of JSON records to {@code topic}, keyed by {@code key}. */
  private static <T> KafkaSink<T> atLeastOnce(JobConfig c, String topic, JsonCodec<T> codec, SerializableFunction<T, String> key) {
    return KafkaSink.<T>builder()
        .setBootstrapServers(c.get(JobConfig.BOOTSTRAP))
        .setKafkaProducerConfig(c.kafkaClientProperties())
        .setRecordSerializer(
            (KafkaRecordSerializationSchema<T>)
                (e, ctx, ts) -> new ProducerRecord<>(topic, key.apply(e).getBytes(StandardCharsets.UTF_8), codec.encode(e)))
        .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build();
  }

  /** A key extractor the sink's serializer can carry to the task managers. */
  private interface SerializableFunction<T, R> extends java.util.function.Function<T, R>, java.io.Serializable {}

  static byte[] key(long userId) {
    return Long.toString(userId).getBytes(StandardCharsets.UTF_8);
  }

  static OffsetsInitializer startingOffsets(JobConfig.StartingOffsets mode) {
    return switch (mode) {
      case EARLIEST -> OffsetsInitializer.earliest();
      case LATEST -> OffsetsInitializer.latest();
      case COMMITTED -> OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    };
  }

  /** Keeps the whole record; parsing happens in the job so bad records can be dead-lettered. */
  static final class RawDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {
    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawRecord> out) {
      out.collect(new RawRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), r.value()));
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
      return TypeInformation.of(RawRecord.class);
    }
  }
}
