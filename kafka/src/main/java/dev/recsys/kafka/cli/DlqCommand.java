package dev.recsys.kafka.cli;

import dev.recsys.kafka.KafkaClients;
import dev.recsys.kafka.Topics;
import dev.recsys.kafka.contract.DeadLetterEvent;
import dev.recsys.kafka.contract.InvalidMessageException;
import dev.recsys.kafka.contract.JsonCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code recsys dlq}: what was dead-lettered, and why. */
@Command(name = "dlq", mixinStandardHelpOptions = true, description = "Show dead-letter records: where each came from and why it was refused.")
public final class DlqCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(names = "--topic", defaultValue = Topics.DEAD_LETTER, description = "Topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--json", description = "Print the raw JSON records")
  boolean json;

  @Option(names = "--follow", description = "Keep waiting for new records")
  boolean follow;

  @Option(names = "--max", defaultValue = "0", description = "Stop after this many records (default: all)")
  long max;

  @Override
  public Integer call() throws Exception {
    Properties p = kafka.with(KafkaClients.readCommittedConsumer(kafka.bootstrap, "recsys-dlq-" + UUID.randomUUID()));
    long seen = 0;
    long idleSince = System.currentTimeMillis();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      while (max == 0 || seen < max) {
        var records = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          System.out.println(json ? new String(r.value(), StandardCharsets.UTF_8) : format(r.value()));
          if (++seen == max) {
            break;
          }
        }
        if (!records.isEmpty()) {
          idleSince = System.currentTimeMillis();
        } else if (!follow && System.currentTimeMillis() - idleSince > 3000) {
          break; // caught up
        }
      }
    }
    if (seen == 0) {
      System.out.println("no dead letters on " + topic);
    }
    return 0;
  }

  static String format(byte[] value) {
    try {
      DeadLetterEvent e = JsonCodec.DEAD_LETTER.decode(value);
      String payload = e.payload().length() > 120 ? e.payload().substring(0, 117) + "..." : e.payload();
      return String.format("%s  %s[%d]@%d  %s%n    payload: %s", Instant.ofEpochMilli(e.time()), e.sourceTopic(), e.partition(), e.offset(), e.error(), payload);
    } catch (InvalidMessageException ex) {
      return "(unreadable dead letter: " + ex.getMessage() + ")";
    }
  }
}
