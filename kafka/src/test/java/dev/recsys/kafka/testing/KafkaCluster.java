package dev.recsys.kafka.testing;

/** A running Kafka for a test: the embedded broker or a Testcontainers broker. */
public interface KafkaCluster extends AutoCloseable {

  String bootstrapServers();

  /** "embedded" or "testcontainers". */
  String kind();

  @Override
  void close();
}
