package dev.recsys.trainer.registry;

import dev.recsys.kafka.KafkaClients;
import dev.recsys.kafka.Topics;
import dev.recsys.kafka.contract.JsonCodec;
import dev.recsys.kafka.contract.JsonSerde;
import dev.recsys.kafka.contract.ModelUpdateEvent;
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

/** Announces a newly current model version on the compacted model-updates topic, keyed by name. */
public final class ModelAnnouncer {

  private ModelAnnouncer() {}

  /** The announcement of a version that just became current. */
  public static ModelUpdateEvent event(ModelRegistry.Version v, String action) {
    return new ModelUpdateEvent(
        v.name(), v.version(), v.dir().toUri().toString(), v.sha256(), v.modelType(), v.publishedAt().toEpochMilli(), action);
  }

  /** Sends and waits for the broker's acknowledgement. */
  public static RecordMetadata announce(String bootstrap, ModelUpdateEvent event)
      throws InterruptedException, ExecutionException, TimeoutException {
    return announce(bootstrap, Map.of(), event);
  }

  /** The same, with extra Kafka client properties (security and so on). */
  public static RecordMetadata announce(String bootstrap, Map<String, String> clientProperties, ModelUpdateEvent event)
      throws InterruptedException, ExecutionException, TimeoutException {
    Properties config = KafkaClients.idempotentProducer(bootstrap);
    clientProperties.forEach(config::setProperty);
    try (KafkaProducer<String, ModelUpdateEvent> p =
        new KafkaProducer<>(config, new StringSerializer(), JsonSerde.serializer(JsonCodec.MODEL_UPDATE))) {
      return p.send(new ProducerRecord<>(Topics.MODEL_UPDATES, event.name(), event)).get(60, TimeUnit.SECONDS);
    }
  }
}
