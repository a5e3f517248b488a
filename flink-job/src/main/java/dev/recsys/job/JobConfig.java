package dev.recsys.job;

import dev.recsys.contracts.Topics;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.util.TimeUtils;

/**
 * Every setting of the streaming job, with its default and meaning, in one place. Values come from
 * a properties file and/or command-line overrides ({@code --set key=value} or the dedicated flags).
 * Durations use Flink's syntax: {@code 20 ms}, {@code 10 s}, {@code 30 d}. Keys starting with
 * {@code kafka.client.} are passed to every Kafka client without the prefix (for example {@code
 * kafka.client.security.protocol=SASL_SSL}).
 */
public final class JobConfig implements Serializable {

  private static final long serialVersionUID = 1L;

  /** A setting: key, default and what it does. */
  public record Key(String name, String defaultValue, String doc) implements Serializable {}

  public static final Key BOOTSTRAP = new Key("kafka.bootstrap", "localhost:9092", "Kafka bootstrap servers");
  public static final Key GROUP = new Key("kafka.group", "recsys-job", "Consumer group of the ratings source");
  public static final Key STARTING_OFFSETS =
      new Key("kafka.starting-offsets", "committed", "committed (else earliest), earliest or latest; a restore uses its checkpoint");
  public static final Key RATINGS_TOPIC = new Key("topic.ratings", Topics.RATINGS, "Rating events in");
  public static final Key RECOMMENDATIONS_TOPIC = new Key("topic.recommendations", Topics.RECOMMENDATIONS, "Recommendations out");
  public static final Key MODEL_UPDATES_TOPIC = new Key("topic.model-updates", Topics.MODEL_UPDATES, "Model version announcements in");
  public static final Key DEAD_LETTER_TOPIC = new Key("topic.dead-letter", Topics.DEAD_LETTER, "Unusable input and refused models out");
  public static final Key REGISTRY = new Key("registry.root", "registry", "Model registry root; announced bundles must lie inside it");
  public static final Key MODEL_NAME = new Key("model.name", "movielens", "Registry name of the model to serve");
  public static final Key HISTORY_CAP = new Key("state.history-cap", "500", "Most recent rated movies kept per user");
  public static final Key STATE_TTL = new Key("state.ttl", "90 d", "Forget users inactive this long (0 keeps them forever)");
  public static final Key BATCH_SIZE = new Key("batch.size", "256", "Score when this many users wait (1 disables batching)");
  public static final Key BATCH_TIMEOUT = new Key("batch.timeout", "20 ms", "...or when the oldest has waited this long");
  public static final Key TOP_K = new Key("scoring.top-k", "100", "Recommendations per user");
  public static final Key SCORING_THREADS = new Key("scoring.threads", "2", "PyTorch threads per JVM (set before the first model loads)");
  public static final Key TX_PREFIX = new Key("sink.transactional-id-prefix", "recsys-recommendations", "Transactional id prefix of the exactly-once sink");
  public static final Key TX_TIMEOUT = new Key("sink.transaction-timeout", "10 min", "Kafka transaction timeout; must stay below the broker's 15 min maximum");
  public static final Key CHECKPOINT_INTERVAL = new Key("checkpoint.interval", "10 s", "Checkpoint interval; recommendations become visible at each checkpoint");
  public static final Key CHECKPOINT_DIR = new Key("checkpoint.dir", "checkpoints", "Checkpoint storage: a path or a URI (file://, s3://, ...)");
  public static final Key CHECKPOINT_RETAIN = new Key("checkpoint.retain-on-cancel", "true", "Keep the last checkpoint when the job is cancelled, to restore from");
  public static final Key CHECKPOINT_MODE = new Key("checkpoint.mode", "exactly_once", "exactly_once or at_least_once");
  public static final Key PARALLELISM = new Key("parallelism", "1", "Parallelism of the job");
  public static final Key BUFFER_TIMEOUT = new Key("network.buffer-timeout", "5 ms", "Flush network buffers between tasks at least this often (Flink's default 100 ms adds latency)");

  public static final List<Key> KEYS =
      List.of(BOOTSTRAP, GROUP, STARTING_OFFSETS, RATINGS_TOPIC, RECOMMENDATIONS_TOPIC, MODEL_UPDATES_TOPIC, DEAD_LETTER_TOPIC,
          REGISTRY, MODEL_NAME, HISTORY_CAP, STATE_TTL, BATCH_SIZE, BATCH_TIMEOUT, TOP_K, SCORING_THREADS, TX_PREFIX, TX_TIMEOUT,
          CHECKPOINT_INTERVAL, CHECKPOINT_DIR, CHECKPOINT_RETAIN, CHECKPOINT_MODE, PARALLELISM, BUFFER_TIMEOUT);

  private static final String CLIENT_PREFIX = "kafka.client.";

  private final Map<String, String> values = new LinkedHashMap<>();

  private JobConfig() {}

  /** All defaults. */
  public static JobConfig defaults() {
    return new JobConfig();
  }

  /** Defaults overlaid with a properties file. */
  public static JobConfig load(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    JobConfig c = new JobConfig();
    p.stringPropertyNames().forEach(k -> c.set(k, p.getProperty(k)));
    return c;
  }

  /** Overrides one setting; unknown keys are refused so typos do not pass silently. */
  public JobConfig set(String key, String value) {
    if (!key.startsWith(CLIENT_PREFIX) && KEYS.stream().noneMatch(k -> k.name().equals(key))) {
      throw new IllegalArgumentException("unknown setting '" + key + "'; see --help for the list");
    }
    values.put(key, value.trim());
    return this;
  }

  public JobConfig set(Key key, Object value) {
    return set(key.name(), String.valueOf(value));
  }

  public String get(Key key) {
    return values.getOrDefault(key.name(), key.defaultValue());
  }

  public int getInt(Key key) {
    try {
      return Integer.parseInt(get(key));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key.name() + ": not an integer: " + get(key));
    }
  }

  public Duration getDuration(Key key) {
    try {
      return TimeUtils.parseDuration(get(key));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key.name() + ": not a duration: " + get(key));
    }
  }

  public boolean getBoolean(Key key) {
    return Boolean.parseBoolean(get(key));
  }

  /** Extra Kafka client properties ({@code kafka.client.*} without the prefix). */
  public Properties kafkaClientProperties() {
    Properties p = new Properties();
    values.forEach((k, v) -> {
      if (k.startsWith(CLIENT_PREFIX)) {
        p.setProperty(k.substring(CLIENT_PREFIX.length()), v);
      }
    });
    return p;
  }

  /** Every setting with its effective value, for the startup log. */
  public Map<String, String> effective() {
    Map<String, String> m = new LinkedHashMap<>();
    KEYS.forEach(k -> m.put(k.name(), get(k)));
    values.forEach((k, v) -> {
      if (k.startsWith(CLIENT_PREFIX)) {
        m.put(k, k.contains("password") || k.contains("jaas") ? "***" : v);
      }
    });
    return m;
  }

  /** The settings table for --help. */
  public static String describe() {
    StringBuilder sb = new StringBuilder();
    for (Key k : KEYS) {
      sb.append(String.format("  %-30s %-24s %s%n", k.name(), k.defaultValue(), k.doc()));
    }
    sb.append(String.format("  %-30s %-24s %s%n", "kafka.client.<property>", "", "Passed to every Kafka client (security, ...)"));
    return sb.toString();
  }
}
