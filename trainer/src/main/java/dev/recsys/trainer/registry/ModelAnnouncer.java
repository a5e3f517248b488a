package dev.recsys.trainer.registry;

import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.JsonSerde;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.registry.ModelRegistry;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/** Announces a newly current model version, or a shadow, on the compacted model-updates topic. */
public final class ModelAnnouncer {

  private ModelAnnouncer() {}

  /** The announcement of a version that just became current, stamped now. */
  public static ModelUpdateEvent event(ModelRegistry.Version v, String action) {
    return ModelUpdateEvent.of(v.name(), v.version(), v.dir(), v.sha256(), v.modelType(), System.currentTimeMillis(), action);
  }

  /**
   * Sends to {@code topic} and waits for the broker's acknowledgement.
   *
   * @param clientProperties extra Kafka client properties (security and so on)
   */
  public static RecordMetadata announce(String bootstrap, Map<String, String> clientProperties, String topic, ModelUpdateEvent event)
      throws InterruptedException, ExecutionException, TimeoutException {
    Properties config = KafkaClients.idempotentProducer(bootstrap);
    clientProperties.forEach(config::setProperty);
    try (KafkaProducer<String, ModelUpdateEvent> p =
        new KafkaProducer<>(config, new StringSerializer(), JsonSerde.serializer(JsonCodec.MODEL_UPDATE))) {
      return p.send(new ProducerRecord<>(topic, event.key(), event)).get(60, TimeUnit.SECONDS);
    }
  }
}
