package dev.recsys.kafka.cli;

import dev.recsys.contracts.KafkaClients;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Where Kafka is, and any client properties it needs (security and so on). */
public final class KafkaOptions {

  @Option(names = "--bootstrap", defaultValue = "${RECSYS_BOOTSTRAP:-localhost:9092}", description = "Kafka bootstrap servers (default: $RECSYS_BOOTSTRAP or localhost:9092)")
  public String bootstrap;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Properties file of Kafka client properties, e.g. sasl.jaas.config, so that secrets stay out of the command line")
  Path clientConfig;

  @Option(names = "--client-property", description = "Extra Kafka client property, e.g. security.protocol=SSL (repeatable; overrides --client-config)")
  Map<String, String> clientProperties = Map.of();

  /** Adds the client properties, the --client-config file's then the --client-property ones, to a base configuration. */
  public Properties with(Properties base) throws IOException {
    KafkaClients.userProperties(clientConfig, clientProperties).forEach(base::setProperty);
    return base;
  }
}
