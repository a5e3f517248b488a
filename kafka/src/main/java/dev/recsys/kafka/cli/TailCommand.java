package dev.recsys.kafka.cli;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RecommendationEvent;
import dev.recsys.model.movielens.Movies;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code recsys tail}: committed recommendations as readable rows. */
@Command(name = "tail", mixinStandardHelpOptions = true,
    description = {"Follow the recommendations topic and print readable rows (read_committed: with the exactly-once sink, only what",
      "the job committed). A list that does not supersede the user's previous one (a repeat after a failure, or stale) is skipped."})
public final class TailCommand implements Callable<Integer> {

  @Mixin KafkaOptions kafka;

  @Option(names = "--topic", defaultValue = Topics.RECOMMENDATIONS, description = "Topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--movies", description = "movies.csv, to show titles")
  Path moviesFile;

  @Option(names = "--json", description = "Print the raw JSON records")
  boolean json;

  @Option(names = "--all", description = "Also print repeated and stale lists")
  boolean all;

  @Option(names = "--from-beginning", description = "Start at the oldest record instead of new ones")
  boolean fromBeginning;

  @Option(names = "--items", defaultValue = "5", description = "Items to show per row (default: ${DEFAULT-VALUE})")
  int items;

  @Option(names = "--max", defaultValue = "0", description = "Stop after this many records (default: follow forever)")
  long max;

  @Option(names = "--idle-timeout", defaultValue = "0", description = "Stop after this many seconds without records (default: never)")
  long idleSeconds;

  @Override
  public Integer call() throws Exception {
    Movies movies = moviesFile == null ? Movies.empty() : Movies.load(moviesFile);
    Properties p = kafka.with(KafkaClients.readCommittedConsumer(kafka.bootstrap, "recsys-tail-" + UUID.randomUUID()));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, fromBeginning ? "earliest" : "latest");
    TopicReader.read(p, topic, max, idleSeconds * 1000, value -> print(value, movies, System.out));
    return 0;
  }

  private final Map<Long, RecommendationEvent> latest = new HashMap<>();

  void print(byte[] value, Movies movies, PrintStream out) {
    if (json) {
      out.println(TerminalText.json(value));
      return;
    }
    try {
      RecommendationEvent e = JsonCodec.RECOMMENDATION.decode(value);
      if (!all && !e.supersedes(latest.get(e.userId()))) {
        return;
      }
      latest.put(e.userId(), e);
      out.println(format(e, movies, items));
    } catch (InvalidMessageException e) {
      out.println("(unreadable record: " + TerminalText.safe(e.getMessage()) + ")");
    }
  }

  /** One readable row, safe for a terminal: user, version, latency, fallback mark and the top items. */
  public static String format(RecommendationEvent e, Movies movies, int items) {
    String top = e.items().stream().limit(items).map(i -> movies.title(i.movieId())).collect(Collectors.joining(" | "));
    String latency = e.triggerPublishedAt() > 0 ? (e.emittedAt() - e.triggerPublishedAt()) + " ms" : "-";
    return TerminalText.safe(
        String.format("user %-7d %s v%-3d %8s %s %s", e.userId(), e.modelName(), e.modelVersion(), latency, e.fallback() ? "[popular]" : "         ", top));
  }
}
