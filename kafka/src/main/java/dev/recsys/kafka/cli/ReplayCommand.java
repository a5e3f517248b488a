package dev.recsys.kafka.cli;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.kafka.replay.ReplayEvents;
import dev.recsys.kafka.replay.Replayer;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code recsys replay}: a MovieLens file into the ratings topic, in timestamp order. */
@Command(name = "replay", mixinStandardHelpOptions = true,
    description = "Stream a MovieLens ratings file (csv, dat, gz or zip) into the ratings topic in timestamp order, keyed by userId.")
public final class ReplayCommand implements Callable<Integer> {

  @Option(names = "--ratings", required = true, description = "MovieLens ratings file")
  Path ratings;

  @Mixin KafkaOptions kafka;

  @Option(names = "--topic", defaultValue = Topics.RATINGS, description = "Topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--rate", defaultValue = "0", description = "Events per second (default: as fast as possible)")
  double rate;

  @Option(names = "--speedup", defaultValue = "0", description = "Replay the original time gaps X times faster (default: ignore them)")
  double speedup;

  @Option(names = "--users", split = ",", description = "Only these userIds (comma-separated; a-b for ranges)")
  String[] users;

  @Option(names = "--limit", defaultValue = "0", description = "Send at most this many events (default: all)")
  long limit;

  @Option(names = "--skip-bad-rows", description = "Skip malformed rows instead of stopping")
  boolean skipBadRows;

  @Override
  public Integer call() throws Exception {
    ReplayEvents events = ReplayEvents.load(ratings, userSet(users), limit, skipBadRows);
    System.out.printf("replaying %,d ratings from %s to %s@%s%n", events.size(), ratings, topic, kafka.bootstrap);
    try (KafkaProducer<byte[], byte[]> producer =
            new KafkaProducer<>(kafka.with(KafkaClients.idempotentProducer(kafka.bootstrap)), new ByteArraySerializer(), new ByteArraySerializer());
        ProgressBar bar = new ProgressBarBuilder().setTaskName("sent").setInitialMax(events.size()).setStyle(ProgressBarStyle.ASCII)
            .setUnit(" events", 1).showSpeed().build()) {
      int sent = Replayer.send(producer, topic, events, 0, events.size(), new Replayer.Pace(rate, speedup), i -> bar.stepTo(i + 1L), () -> false);
      bar.stepTo(sent);
    }
    return 0;
  }

  static Set<Long> userSet(String[] spec) {
    if (spec == null) {
      return null;
    }
    Set<Long> out = new HashSet<>();
    for (String s : spec) {
      int dash = s.indexOf('-', 1);
      if (dash > 0) {
        for (long u = Long.parseLong(s.substring(0, dash)); u <= Long.parseLong(s.substring(dash + 1)); u++) {
          out.add(u);
        }
      } else {
        out.add(Long.parseLong(s.trim()));
      }
    }
    return out;
  }
}
