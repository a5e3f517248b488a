package dev.recsys.trainer.registry;

import dev.recsys.kafka.KafkaClients;
import dev.recsys.kafka.Topics;
import dev.recsys.kafka.contract.JsonCodec;
import dev.recsys.kafka.contract.JsonSerde;
import dev.recsys.kafka.contract.ModelUpdateEvent;
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

  /** Sends and waits for the broker's acknowledgement. */
  public static RecordMetadata announce(String bootstrap, ModelUpdateEvent event)
      throws InterruptedException, ExecutionException, TimeoutException {
    try (KafkaProducer<String, ModelUpdateEvent> p =
        new KafkaProducer<>(
            KafkaClients.idempotentProducer(bootstrap), new StringSerializer(), JsonSerde.serializer(JsonCodec.MODEL_UPDATE))) {
      return p.send(new ProducerRecord<>(Topics.MODEL_UPDATES, event.name(), event)).get(60, TimeUnit.SECONDS);
    }
  }
}
