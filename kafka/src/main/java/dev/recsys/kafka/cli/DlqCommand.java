package dev.recsys.kafka.cli;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import java.time.Instant;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
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
    // without --follow, stop once caught up (3 s without records)
    long seen = TopicReader.read(p, topic, max, follow ? 0 : 3000,
        value -> System.out.println(json ? TerminalText.json(value) : format(value)));
    if (seen == 0) {
      System.out.println("no dead letters on " + topic);
    }
    return 0;
  }

  static String format(byte[] value) {
    try {
      DeadLetterEvent e = JsonCodec.DEAD_LETTER.decode(value);
      String payload = e.payload().length() > 120 ? e.payload().substring(0, 117) + "..." : e.payload();
      return String.format("%s  %s[%d]@%d  %s%n    payload: %s", Instant.ofEpochMilli(e.time()), TerminalText.safe(e.sourceTopic()), e.partition(), e.offset(),
          TerminalText.safe(e.error()), TerminalText.safe(payload));
    } catch (InvalidMessageException ex) {
      return "(unreadable dead letter: " + TerminalText.safe(ex.getMessage()) + ")";
    }
  }
}
