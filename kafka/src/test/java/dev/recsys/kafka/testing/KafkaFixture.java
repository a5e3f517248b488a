package dev.recsys.kafka.testing;

import dev.recsys.kafka.EmbeddedKafka;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * Starts the Kafka a test runs against: Testcontainers' Kafka when a Docker engine answers,
 * otherwise the embedded KRaft broker. {@code -Drecsys.kafka=embedded|testcontainers} forces one.
 * Test bodies see only {@link KafkaCluster#bootstrapServers()}, so they run unchanged on both.
 */
public final class KafkaFixture {

  static final String IMAGE = "apache/kafka:4.2.0";

  private KafkaFixture() {}

  public static KafkaCluster start() {
    String choice = System.getProperty("recsys.kafka", "auto");
    boolean docker =
        switch (choice) {
          case "embedded" -> false;
          case "testcontainers" -> true;
          default -> dockerAvailable();
        };
    return docker ? container() : embedded();
  }

  private static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable t) {
      return false;
    }
  }

  private static KafkaCluster embedded() {
    EmbeddedKafka kafka = EmbeddedKafka.start();
    return new KafkaCluster() {
      @Override
      public String bootstrapServers() {
        return kafka.bootstrapServers();
      }

      @Override
      public String kind() {
        return "embedded";
      }

      @Override
      public void close() {
        kafka.close();
      }
    };
  }

  private static KafkaCluster container() {
    KafkaContainer kafka = new KafkaContainer(IMAGE);
    kafka.start();
    return new KafkaCluster() {
      @Override
      public String bootstrapServers() {
        return kafka.getBootstrapServers();
      }

      @Override
      public String kind() {
        return "testcontainers";
      }

      @Override
      public void close() {
        kafka.stop();
      }
    };
  }
}
