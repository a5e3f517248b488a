package dev.recsys.trainer.cli;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.Topics;
import dev.recsys.trainer.registry.ModelAnnouncer;
import dev.recsys.model.registry.ModelRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where the registry is, which model, and where to announce changes. */
public final class RegistryOptions {

  @Option(names = "--registry", defaultValue = "${RECSYS_REGISTRY:-registry}", description = "Registry root directory (default: $RECSYS_REGISTRY or ./registry)")
  Path registry;

  @Option(names = "--name", defaultValue = "movielens", description = "Model name in the registry (default: ${DEFAULT-VALUE})")
  String name;

  @Option(names = "--bootstrap", description = "Kafka bootstrap servers: announce the change on the model-updates topic (compare and promote --if-better also read the online metrics there)")
  String bootstrap;

  @Option(names = "--topic", defaultValue = Topics.MODEL_UPDATES, description = "Topic to announce on (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Properties file of Kafka client properties, e.g. sasl.jaas.config, so that secrets stay out of the command line")
  Path clientConfig;

  @Option(names = "--client-property", description = "Extra Kafka client property, e.g. security.protocol=SSL (repeatable; overrides --client-config)")
  Map<String, String> clientProperties = Map.of();

  /** The Kafka client properties: --client-config's, then --client-property's. */
  Map<String, String> kafkaProperties() throws IOException {
    return KafkaClients.userProperties(clientConfig, clientProperties);
  }

  void announce(ModelRegistry.Version v, String action) throws Exception {
    if (bootstrap == null) {
      System.out.println("not announced (no --bootstrap): running jobs will not switch until told");
      return;
    }
    ModelUpdateEvent e = ModelAnnouncer.event(v, action);
    var meta = ModelAnnouncer.announce(bootstrap, kafkaProperties(), topic, e);
    System.out.println("announced " + e.name() + " v" + e.version() + " on " + meta.topic() + "@" + meta.offset());
  }
}
