package dev.recsys.kafka.cli;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The read loop the viewing tools share: up to {@code max} records, until quiet for a while. */
final class TopicReader {

  private TopicReader() {}

  /**
   * Hands every record's value to {@code sink}.
   *
   * @param max stop after this many records; 0 for no limit
   * @param idleMillis stop after this long without records; 0 to follow forever
   * @return how many records were read
   */
  static long read(Properties consumerProps, String topic, long max, long idleMillis, Consumer<byte[]> sink) {
    long seen = 0;
    long lastRecord = System.currentTimeMillis();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      while (max == 0 || seen < max) {
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          sink.accept(r.value());
          if (++seen == max) {
            break;
          }
        }
        if (!records.isEmpty()) {
          lastRecord = System.currentTimeMillis();
        } else if (idleMillis > 0 && System.currentTimeMillis() - lastRecord > idleMillis) {
          break;
        }
      }
    }
    return seen;
  }
}
