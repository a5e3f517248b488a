package dev.recsys.kafka.cli;

import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Where Kafka is, and any client properties it needs (security and so on). */
public final class KafkaOptions {

  @Option(names = "--bootstrap", defaultValue = "${RECSYS_BOOTSTRAP:-localhost:9092}", description = "Kafka bootstrap servers (default: $RECSYS_BOOTSTRAP or localhost:9092)")
  public String bootstrap;

  @Option(names = "--client-property", description = "Extra Kafka client property, e.g. security.protocol=SSL (repeatable)")
  Map<String, String> clientProperties = Map.of();

  /** Adds the client properties to a base configuration. */
  public Properties with(Properties base) {
    clientProperties.forEach(base::setProperty);
    return base;
  }
}
