package dev.recsys.job;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.model.scoring.ScoringMode;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.core.execution.CheckpointingMode;

/**
 * Every setting of the streaming job as a typed Flink {@link ConfigOption}, with its default and
 * meaning, in one place. The same keys work from every source, later ones winning: the cluster's
 * Flink configuration (the operator's {@code flinkConfiguration}, {@code flink-conf}, {@code -D}),
 * a properties file ({@code --config}), and {@code --set key=value} or the dedicated flags.
 * Durations use Flink's syntax ({@code 20 ms}, {@code 10 s}, {@code 30 d}); enum values are the
 * constants' names in any case ({@code exactly_once}). Keys starting with {@code kafka.client.} are
 * passed to every Kafka client without the prefix (for example {@code
 * kafka.client.security.protocol=SASL_SSL}).
 */
public final class JobConfig implements Serializable {

  private static final long serialVersionUID = 2L;

  /** Where the ratings source starts when the job has no checkpoint to resume. */
  public enum StartingOffsets {
    /** The group's committed offsets, else the earliest. */
    COMMITTED,
    EARLIEST,
    LATEST
  }

  /** How recommendations reach Kafka. */
  /** How the scorer ranks ({@link ScoringMode}). */
  public enum ScoringModeOption {
    EXACT,
    TWO_STAGE
  }

  public enum Delivery {
    /** In Kafka transactions committed at each checkpoint: no repeats, visible at checkpoints. */
    EXACTLY_ONCE(DeliveryGuarantee.EXACTLY_ONCE),
    /** Sent at once; after a failure some lists are sent again (an upsert stream). */
    AT_LEAST_ONCE(DeliveryGuarantee.AT_LEAST_ONCE);

    final DeliveryGuarantee guarantee;

    Delivery(DeliveryGuarantee guarantee) {
      this.guarantee = guarantee;
    }
  }

  public static final ConfigOption<String> JOB_NAME =
      ConfigOptions.key("job.name").stringType().defaultValue("recsys")
          .withDescription("Names the job; its consumer group, transactional ids and checkpoints derive from it, so two jobs need two names");
  public static final ConfigOption<String> BOOTSTRAP =
      ConfigOptions.key("kafka.bootstrap").stringType().defaultValue("localhost:9092").withDescription("Kafka bootstrap servers");
  public static final ConfigOption<String> GROUP =
      ConfigOptions.key("kafka.group").stringType().noDefaultValue().withDescription("Consumer group of the ratings source (default: the job name)");
  public static final ConfigOption<StartingOffsets> STARTING_OFFSETS =
      ConfigOptions.key("kafka.starting-offsets").enumType(StartingOffsets.class).defaultValue(StartingOffsets.COMMITTED)
          .withDescription("committed (else earliest), earliest or latest; a restore uses its checkpoint");
  public static final ConfigOption<String> RATINGS_TOPIC =
      ConfigOptions.key("topic.ratings").stringType().defaultValue(Topics.RATINGS).withDescription("Rating events in");
  public static final ConfigOption<String> RECOMMENDATIONS_TOPIC =
      ConfigOptions.key("topic.recommendations").stringType().defaultValue(Topics.RECOMMENDATIONS).withDescription("Recommendations out");
  public static final ConfigOption<String> MODEL_UPDATES_TOPIC =
      ConfigOptions.key("topic.model-updates").stringType().defaultValue(Topics.MODEL_UPDATES).withDescription("Model version announcements in");
  public static final ConfigOption<String> MODEL_METRICS_TOPIC =
      ConfigOptions.key("topic.model-metrics").stringType().defaultValue(Topics.MODEL_METRICS).withDescription("Online quality per model version out");
  public static final ConfigOption<Duration> METRICS_WINDOW =
      ConfigOptions.key("online-metrics.window").durationType().defaultValue(Duration.ofMinutes(1))
          .withDescription("Tumbling window (processing time) of the online hit rates per model version");
  public static final ConfigOption<Double> SHADOW_SAMPLE =
      ConfigOptions.key("shadow.sample").doubleType().defaultValue(1.0)
          .withDescription("Share of users (chosen by userId, so always the same ones) that a shadow version also scores");
  public static final ConfigOption<String> DEAD_LETTER_TOPIC =
      ConfigOptions.key("topic.dead-letter").stringType().defaultValue(Topics.DEAD_LETTER).withDescription("Unusable input and refused models out");
  public static final ConfigOption<String> REGISTRY =
      ConfigOptions.key("registry.root").stringType().defaultValue("registry").withDescription("Model registry root; announced bundles must lie inside it");
  public static final ConfigOption<String> MODEL_NAME =
      ConfigOptions.key("model.name").stringType().defaultValue("movielens").withDescription("Registry name of the model to serve");
  public static final ConfigOption<Integer> HISTORY_CAP =
      ConfigOptions.key("state.history-cap").intType().defaultValue(500).withDescription("Most recent ratings kept per user as the model's input (every rated movie stays excluded)");
  public static final ConfigOption<Duration> STATE_TTL =
      ConfigOptions.key("state.ttl").durationType().defaultValue(Duration.ofDays(90))
          .withDescription("Forget users inactive this long (0 keeps them forever)");
  public static final ConfigOption<Integer> BATCH_SIZE =
      ConfigOptions.key("batch.size").intType().defaultValue(256).withDescription("Most users scored in one forward pass (1 disables batching)");
  public static final ConfigOption<Duration> BATCH_TIMEOUT =
      ConfigOptions.key("batch.timeout").durationType().defaultValue(Duration.ofMillis(10))
          .withDescription("How long a free scorer waits, from the oldest arrival, for a fuller batch (0: it takes whatever waits at once)");
  public static final ConfigOption<Integer> TOP_K =
      ConfigOptions.key("scoring.top-k").intType().defaultValue(100).withDescription("Recommendations per user");
  public static final ConfigOption<Integer> SCORING_THREADS =
      ConfigOptions.key("scoring.threads").intType().defaultValue(0)
          .withDescription("Scoring threads per subtask, each running its own forward passes with one PyTorch thread; 0: the cores divided by the parallelism");
  public static final ConfigOption<Duration> SCORING_JOIN_DELAY =
      ConfigOptions.key("scoring.join-delay").durationType().defaultValue(Duration.ZERO)
          .withDescription("How much longer than batch.timeout each further scoring thread of a subtask waits for users (the second one "
              + "join-delay more, the third twice that): above 0 a scorer joins only when those before it fall behind or full batches "
              + "wait, so at moderate load fewer cores score, in larger batches (0: every free scorer takes at batch.timeout)");
  public static final ConfigOption<Integer> SCORING_NICE =
      ConfigOptions.key("scoring.nice").intType().defaultValue(0)
          .withDescription("Linux niceness of the scoring threads (0-19): above 0, the task thread, RocksDB's flushes and the Kafka clients "
              + "get a busy core first, and the forward passes take what is left");
  public static final ConfigOption<ScoringModeOption> SCORING_MODE =
      ConfigOptions.key("scoring.mode").enumType(ScoringModeOption.class).defaultValue(ScoringModeOption.EXACT)
          .withDescription("exact (every item's logit) or two_stage (candidates from a low-rank output layer, re-scored exactly; bench two-stage "
              + "reports its top-100 overlap with exact and its speed-up)");
  public static final ConfigOption<Boolean> SCORING_VECTOR_API =
      ConfigOptions.key("scoring.vector-api").booleanType().defaultValue(true)
          .withDescription("Exact scoring's output layer in Java through the Vector API, where the TaskManager's JVM resolved "
              + "jdk.incubator.vector (--add-modules=jdk.incubator.vector): faster than libtorch's GEMM from batches of 32 on; false, "
              + "or a JVM without the module: libtorch computes it");
  public static final ConfigOption<Integer> TWO_STAGE_RANK =
      ConfigOptions.key("scoring.two-stage.rank").intType().defaultValue(64)
          .withDescription("scoring.mode=two_stage: rank of the output layer's approximation (a model with no more hidden units than this is scored exactly)");
  public static final ConfigOption<Integer> TWO_STAGE_CANDIDATES =
      ConfigOptions.key("scoring.two-stage.candidates").intType().defaultValue(400)
          .withDescription("scoring.mode=two_stage: items per user re-scored exactly, at least scoring.top-k");
  public static final ConfigOption<Delivery> SINK_DELIVERY =
      ConfigOptions.key("sink.delivery").enumType(Delivery.class).defaultValue(Delivery.AT_LEAST_ONCE)
          .withDescription("at_least_once (visible at once; a repeat after a failure restates a list) or exactly_once (visible at each checkpoint)");
  public static final ConfigOption<String> TX_PREFIX =
      ConfigOptions.key("sink.transactional-id-prefix").stringType().noDefaultValue()
          .withDescription("Transactional id prefix of the exactly-once sink (default: <job name>-recommendations)");
  public static final ConfigOption<Duration> TX_TIMEOUT =
      ConfigOptions.key("sink.transaction-timeout").durationType().defaultValue(Duration.ofMinutes(10))
          .withDescription("Kafka transaction timeout; must stay below the broker's 15 min maximum");
  public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
      ConfigOptions.key("checkpoint.interval").durationType().defaultValue(Duration.ofSeconds(30))
          .withDescription("Checkpoint interval. Each checkpoint holds the scoring task for the RocksDB snapshot's synchronous part, so a "
              + "shorter one puts more lists behind that pause; with sink.delivery=exactly_once lists become visible at each checkpoint");
  public static final ConfigOption<String> CHECKPOINT_DIR =
      ConfigOptions.key("checkpoint.dir").stringType().defaultValue("checkpoints").withDescription("Checkpoint storage: a path or a URI (file://, s3://, ...)");
  public static final ConfigOption<Boolean> CHECKPOINT_RETAIN =
      ConfigOptions.key("checkpoint.retain-on-cancel").booleanType().defaultValue(true)
          .withDescription("Keep the last checkpoint when the job is cancelled, to restore from");
  public static final ConfigOption<CheckpointingMode> CHECKPOINT_MODE =
      ConfigOptions.key("checkpoint.mode").enumType(CheckpointingMode.class).defaultValue(CheckpointingMode.EXACTLY_ONCE)
          .withDescription("exactly_once or at_least_once (the state's guarantee)");
  public static final ConfigOption<Duration> MAX_FUTURE =
      ConfigOptions.key("ratings.max-future").durationType().defaultValue(Duration.ofDays(1))
          .withDescription("A rating stamped further ahead of the job's clock is a dead letter (it would pin its movie forever)");
  public static final ConfigOption<Integer> RESTART_ATTEMPTS =
      ConfigOptions.key("restart.attempts").intType().defaultValue(10)
          .withDescription("Restarts (with exponential backoff) before the job fails; the count resets after an hour without one");
  public static final ConfigOption<Integer> PARALLELISM =
      ConfigOptions.key("parallelism").intType().defaultValue(1)
          .withDescription("Parallelism of the job (default: the cluster's parallelism.default, which the operator sets from job.parallelism, else 1)");
  public static final ConfigOption<Duration> BUFFER_TIMEOUT =
      ConfigOptions.key("network.buffer-timeout").durationType().defaultValue(Duration.ofMillis(5))
          .withDescription("Flush network buffers between tasks at least this often (Flink's default 100 ms adds latency)");

  public static final List<ConfigOption<?>> OPTIONS =
      List.of(JOB_NAME, BOOTSTRAP, GROUP, STARTING_OFFSETS, RATINGS_TOPIC, RECOMMENDATIONS_TOPIC, MODEL_UPDATES_TOPIC, MODEL_METRICS_TOPIC,
          DEAD_LETTER_TOPIC, METRICS_WINDOW, SHADOW_SAMPLE,
          REGISTRY, MODEL_NAME, HISTORY_CAP, STATE_TTL, BATCH_SIZE, BATCH_TIMEOUT, TOP_K, SCORING_THREADS, SCORING_JOIN_DELAY, SCORING_NICE, SCORING_MODE, SCORING_VECTOR_API,
          TWO_STAGE_RANK,
          TWO_STAGE_CANDIDATES, SINK_DELIVERY, TX_PREFIX,
          TX_TIMEOUT, CHECKPOINT_INTERVAL, CHECKPOINT_DIR, CHECKPOINT_RETAIN, CHECKPOINT_MODE, MAX_FUTURE, RESTART_ATTEMPTS, PARALLELISM, BUFFER_TIMEOUT);

  static final String CLIENT_PREFIX = "kafka.client.";

  /** Kafka rejects a transaction timeout above the broker's transaction.max.timeout.ms (15 min by default). */
  private static final Duration BROKER_MAX_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

  private final Configuration conf = new Configuration();
  /** Flink's own settings for the run (-D): state backend tuning, metric reporters, ... */
  private final Map<String, String> flinkProperties = new LinkedHashMap<>();

  private JobConfig() {}

  /** All defaults. */
  public static JobConfig defaults() {
    return new JobConfig();
  }

  /**
   * This job's settings out of a Flink configuration (the cluster's, with {@code -D} properties):
   * its own keys and {@code kafka.client.*}; Flink's own keys stay where they are, except that
   * the cluster's {@code parallelism.default} is the job's parallelism unless {@code parallelism}
   * is set (the operator writes job.parallelism there, and a {@code parallelism} key next to it
   * would be an overlapping key, which the operator refuses for Flink 2).
   */
  public static JobConfig from(Configuration flink) {
    JobConfig c = new JobConfig();
    flink.getOptional(CoreOptions.DEFAULT_PARALLELISM).ifPresent(p -> c.set(PARALLELISM, p));
    flink.toMap().forEach((k, v) -> {
      if (isSetting(k)) {
        c.set(k, v);
      }
    });
    return c;
  }

  /** Overlays a properties file. */
  public JobConfig load(Path file) throws IOException {
    Properties p = read(file, "settings file");
    p.stringPropertyNames().stream().sorted().forEach(k -> set(k, p.getProperty(k)));
    return this;
  }

  /** Overlays a file of Kafka client properties (Kafka's {@code --command-config} convention). */
  public JobConfig loadClientProperties(Path file) throws IOException {
    Properties p = read(file, "Kafka client properties file");
    p.stringPropertyNames().forEach(k -> conf.setString(CLIENT_PREFIX + k, p.getProperty(k).trim()));
    return this;
  }

  private static Properties read(Path file, String what) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new IOException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
    }
    return p;
  }

  /**
   * Overrides one setting from text. Unknown keys and values that do not parse are refused here,
   * naming the key, so a typo never passes silently as the default.
   */
  public JobConfig set(String key, String value) {
    String k = key.trim();
    ConfigOption<?> option = option(k);
    if (!isSetting(k)) {
      throw new IllegalArgumentException("unknown setting '" + k + "'; see --help for the list");
    }
    conf.setString(k, value.trim());
    if (option != null) {
      try {
        conf.get(option);
      } catch (IllegalArgumentException e) {
        conf.removeKey(k);
        throw new IllegalArgumentException(k + ": cannot use '" + value.trim() + "': " + rootMessage(e));
      }
    }
    return this;
  }

  /** Whether {@code key} is one of this job's settings (or a Kafka client property). */
  public static boolean isSetting(String key) {
    return key.startsWith(CLIENT_PREFIX) || option(key) != null;
  }

  /** A Flink configuration key for the run itself; the job's own settings win over it. */
  public JobConfig setFlinkProperty(String key, String value) {
    flinkProperties.put(key.trim(), value.trim());
    return this;
  }

  /** The Flink configuration keys set with {@link #setFlinkProperty}. */
  public Map<String, String> flinkProperties() {
    return Map.copyOf(flinkProperties);
  }

  public <T> JobConfig set(ConfigOption<T> option, T value) {
    conf.set(option, value);
    return this;
  }

  public <T> T get(ConfigOption<T> option) {
    return conf.get(option);
  }

  /** The ratings source's consumer group: {@code kafka.group}, else the job name. */
  public String group() {
    return conf.getOptional(GROUP).orElse(get(JOB_NAME));
  }

  /** The exactly-once sink's transactional id prefix: the setting, else derived from the job name. */
  /** The scorer's mode from scoring.mode and its two-stage settings. */
  public ScoringMode scoringMode() {
    return get(SCORING_MODE) == ScoringModeOption.EXACT ? ScoringMode.EXACT : ScoringMode.twoStage(get(TWO_STAGE_RANK), get(TWO_STAGE_CANDIDATES));
  }

  public String transactionalIdPrefix() {
    return conf.getOptional(TX_PREFIX).orElse(get(JOB_NAME) + "-recommendations");
  }

  /** Where this job's checkpoints go: {@code <checkpoint.dir>/<job name>}, so jobs never mix theirs. */
  public String checkpointDirectory() {
    String base = JobEnvironment.checkpointUri(get(CHECKPOINT_DIR));
    return (base.endsWith("/") ? base : base + "/") + get(JOB_NAME);
  }

  /**
   * Checks the ranges that types cannot express, so that a bad value stops the job at start-up with
   * a clear message instead of failing on every event.
   *
   * @throws IllegalArgumentException naming the setting
   */
  public JobConfig validate() {
    positive(BATCH_SIZE);
    positive(TOP_K);
    positive(HISTORY_CAP);
    if (get(SCORING_THREADS) < 0) {
      throw new IllegalArgumentException(SCORING_THREADS.key() + " must be 0 (automatic) or more, not " + get(SCORING_THREADS));
    }
    if (get(SCORING_NICE) < 0 || get(SCORING_NICE) > 19) {
      throw new IllegalArgumentException(SCORING_NICE.key() + " must be from 0 to 19 (a thread may lower its own priority only), not "
          + get(SCORING_NICE));
    }
    positive(PARALLELISM);
    positive(TWO_STAGE_RANK);
    if (get(TWO_STAGE_CANDIDATES) < get(TOP_K)) {
      throw new IllegalArgumentException(TWO_STAGE_CANDIDATES.key() + " must be at least " + TOP_K.key() + " (" + get(TOP_K) + "), not "
          + get(TWO_STAGE_CANDIDATES));
    }
    double sample = get(SHADOW_SAMPLE);
    if (!(sample > 0 && sample <= 1)) {
      throw new IllegalArgumentException(SHADOW_SAMPLE.key() + " must be above 0 and at most 1, not " + sample);
    }
    if (get(METRICS_WINDOW).compareTo(Duration.ofMillis(100)) < 0) {
      throw new IllegalArgumentException(METRICS_WINDOW.key() + " must be at least 100 ms, not " + get(METRICS_WINDOW));
    }
    if (get(RESTART_ATTEMPTS) < 0) {
      throw new IllegalArgumentException(RESTART_ATTEMPTS.key() + " must be 0 or more, not " + get(RESTART_ATTEMPTS));
    }
    if (!get(JOB_NAME).matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
      throw new IllegalArgumentException(JOB_NAME.key() + " must be letters, digits, '.', '_' or '-' (it names directories), not '" + get(JOB_NAME) + "'");
    }
    if (get(CHECKPOINT_INTERVAL).compareTo(Duration.ofMillis(10)) < 0) {
      throw new IllegalArgumentException(CHECKPOINT_INTERVAL.key() + " must be at least 10 ms (Flink's minimum)");
    }
    Duration tx = get(TX_TIMEOUT);
    if (tx.compareTo(get(CHECKPOINT_INTERVAL)) <= 0 || tx.compareTo(BROKER_MAX_TRANSACTION_TIMEOUT) > 0) {
      throw new IllegalArgumentException(
          TX_TIMEOUT.key() + " must be longer than " + CHECKPOINT_INTERVAL.key() + " and at most the broker's 15 min maximum, not " + tx);
    }
    return this;
  }

  /** Extra Kafka client properties ({@code kafka.client.*} without the prefix). */
  public Properties kafkaClientProperties() {
    Properties p = new Properties();
    conf.toMap().forEach((k, v) -> {
      if (k.startsWith(CLIENT_PREFIX)) {
        p.setProperty(k.substring(CLIENT_PREFIX.length()), v);
      }
    });
    return p;
  }

  /** Every setting with its effective value, for the start-up log; secrets are masked. */
  public Map<String, String> effective() {
    Map<String, String> m = new LinkedHashMap<>();
    OPTIONS.forEach(o -> m.put(o.key(), String.valueOf(conf.get(o))));
    m.put(GROUP.key(), group());
    m.put(TX_PREFIX.key(), transactionalIdPrefix());
    flinkProperties.forEach((k, v) -> m.put(k, KafkaClients.isSecret(k) ? "***" : v));
    conf.toMap().entrySet().stream().filter(e -> e.getKey().startsWith(CLIENT_PREFIX)).sorted(Map.Entry.comparingByKey()).forEach(e -> {
      String property = e.getKey().substring(CLIENT_PREFIX.length());
      m.put(e.getKey(), KafkaClients.isSecret(property) ? "***" : e.getValue());
    });
    return m;
  }

  /** The settings table for --help. */
  public static String describe() {
    StringBuilder sb = new StringBuilder();
    for (ConfigOption<?> o : OPTIONS) {
      sb.append(String.format("  %-30s %-24s %s%n", o.key(), o.hasDefaultValue() ? text(o.defaultValue()) : "", new HtmlFormatter().format(o.description())));
    }
    sb.append(String.format("  %-30s %-24s %s%n", CLIENT_PREFIX + "<property>", "", "Passed to every Kafka client (security, ...)"));
    return sb.toString();
  }

  /** A default as it is written in a settings file. */
  static String text(Object value) {
    if (value instanceof Duration d) {
      return org.apache.flink.util.TimeUtils.formatWithHighestUnit(d);
    }
    return value instanceof Enum<?> e ? e.name().toLowerCase(Locale.ROOT) : String.valueOf(value);
  }

  private static ConfigOption<?> option(String key) {
    return OPTIONS.stream().filter(o -> o.key().equals(key)).findFirst().orElse(null);
  }

  private void positive(ConfigOption<Integer> option) {
    if (get(option) < 1) {
      throw new IllegalArgumentException(option.key() + " must be at least 1, not " + get(option));
    }
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }
}
