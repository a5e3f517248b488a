package dev.recsys.trainer.online;

import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelMetricsEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One bounded read of the {@code model-metrics} topic, for one model: every partition from its
 * beginning to the end offset it had when the read started, so that the read ends even while the
 * job keeps emitting. Records that do not decode are counted and skipped.
 */
public final class MetricsTopic {

  /** "Latest" is the latest window; of two copies of one window (a repeat after a failure), the later emitted. */
  private static final Comparator<ModelMetricsEvent> BY_TIME =
      Comparator.comparingLong(ModelMetricsEvent::windowEnd).thenComparingLong(ModelMetricsEvent::emittedAt);

  private MetricsTopic() {}

  /**
   * What one read found.
   *
   * @param records every record read, of any model
   * @param skipped records that did not decode, or were comparisons without their paired counts
   * @param firstSkipped where the first skipped record was and why; null if none
   * @param events the model's records, in window order
   * @param otherModels names of the other models seen
   */
  public record Snapshot(String topic, String name, long records, long skipped, String firstSkipped, List<ModelMetricsEvent> events,
      List<String> otherModels) {

    /** The latest comparison record, of the given shadow version if not null. */
    public Optional<ModelMetricsEvent> latestComparison(Integer shadow) {
      return latest(e -> isComparison(e) && (shadow == null || e.modelVersion() == shadow));
    }

    /** The latest comparison record of a shadow against a live version. */
    public Optional<ModelMetricsEvent> comparison(int shadow, int live) {
      return latest(e -> isComparison(e) && e.modelVersion() == shadow && e.baselineVersion() == live);
    }

    /** The latest record of a version in a role. */
    public Optional<ModelMetricsEvent> version(int version, String role) {
      return latest(e -> isVersion(e) && e.modelVersion() == version && role.equals(e.role()));
    }

    /** The latest record of whichever version served live last. */
    public Optional<ModelMetricsEvent> latestLive() {
      return latest(e -> isVersion(e) && ModelMetricsEvent.LIVE.equals(e.role()));
    }

    /** The pair's comparison records, one per window, in window order. */
    public List<ModelMetricsEvent> comparisonWindows(int shadow, int live) {
      return windows(e -> isComparison(e) && e.modelVersion() == shadow && e.baselineVersion() == live);
    }

    /** A version's records in a role, one per window, in window order. */
    public List<ModelMetricsEvent> versionWindows(int version, String role) {
      return windows(e -> isVersion(e) && e.modelVersion() == version && role.equals(e.role()));
    }

    private Optional<ModelMetricsEvent> latest(Predicate<ModelMetricsEvent> which) {
      return events.stream().filter(which).max(BY_TIME);
    }

    private List<ModelMetricsEvent> windows(Predicate<ModelMetricsEvent> which) {
      Map<Long, ModelMetricsEvent> byStart = new HashMap<>();
      events.stream().filter(which).forEach(e -> byStart.merge(e.windowStart(), e, (a, b) -> BY_TIME.compare(a, b) >= 0 ? a : b));
      return byStart.values().stream().sorted(BY_TIME).toList();
    }
  }

  private static boolean isComparison(ModelMetricsEvent e) {
    return ModelMetricsEvent.COMPARISON.equals(e.kind());
  }

  private static boolean isVersion(ModelMetricsEvent e) {
    return ModelMetricsEvent.VERSION.equals(e.kind());
  }

  /**
   * Reads {@code topic} and keeps the records of model {@code name}.
   *
   * @param clientProperties extra Kafka client properties (security and so on)
   * @param stall give up when this long passes without progress towards the end offsets
   * @throws IllegalStateException when the topic does not exist, or the read stalls
   */
  public static Snapshot read(String bootstrap, Map<String, String> clientProperties, String topic, String name, Duration stall) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"); // a mistyped --metrics-topic must not create one
    clientProperties.forEach(config::setProperty);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<PartitionInfo> infos = c.partitionsFor(topic, stall);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrap + " (./recsys topics create makes it)");
      }
      List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(partitions); // no consumer group: a read leaves no trace on the cluster
      c.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(partitions, stall));
      end.entrySet().removeIf(e -> c.position(e.getKey(), stall) >= e.getValue());

      Reading r = new Reading(topic, name);
      long lastProgress = System.nanoTime();
      while (!end.isEmpty()) {
        var records = c.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> rec : records) {
          Long stop = end.get(new TopicPartition(rec.topic(), rec.partition()));
          if (stop != null && rec.offset() < stop) {
            r.accept(rec);
          }
        }
        int before = end.size();
        end.entrySet().removeIf(e -> c.position(e.getKey(), stall) >= e.getValue());
        if (!records.isEmpty() || end.size() < before) {
          lastProgress = System.nanoTime();
        } else if (System.nanoTime() - lastProgress > stall.toNanos()) {
          throw new IllegalStateException("reading " + topic + " made no progress for " + stall.toSeconds() + " s; still to read: " + end.keySet());
        }
      }
      return r.snapshot();
    }
  }

  /** The decoding and filtering of one read. */
  private static final class Reading {
    private final String topic;
    private final String name;
    private long records;
    private long skipped;
    private String firstSkipped;
    private final List<ModelMetricsEvent> events = new ArrayList<>();
    private final TreeSet<String> others = new TreeSet<>();

    Reading(String topic, String name) {
      this.topic = topic;
      this.name = name;
    }

    void accept(ConsumerRecord<byte[], byte[]> rec) {
      records++;
      ModelMetricsEvent e;
      try {
        e = JsonCodec.MODEL_METRICS.decode(rec.value());
      } catch (InvalidMessageException ex) {
        skip(rec, ex.getMessage());
        return;
      }
      if (isComparison(e) && !paired(e)) {
        skip(rec, "a comparison record without baselineVersion and the paired counts (baseline, onlyHits, onlyBaselineHits, gainDiffSquares)");
        return;
      }
      if (name.equals(e.modelName())) {
        events.add(e);
      } else {
        others.add(e.modelName());
      }
    }

    private static boolean paired(ModelMetricsEvent e) {
      return e.baselineVersion() != null
          && List.of(e.window(), e.total()).stream()
              .allMatch(t -> t.baseline() != null && t.onlyHits() != null && t.onlyBaselineHits() != null && t.gainDiffSquares() != null);
    }

    private void skip(ConsumerRecord<byte[], byte[]> rec, String why) {
      if (skipped++ == 0) {
        // the reason may quote the record: keep it one bounded line
        String line = why.replaceAll("\\p{Cntrl}", "?");
        firstSkipped = rec.topic() + "-" + rec.partition() + "@" + rec.offset() + ": " + (line.length() > 200 ? line.substring(0, 197) + "..." : line);
      }
    }

    Snapshot snapshot() {
      List<ModelMetricsEvent> sorted = events.stream().sorted(BY_TIME).toList();
      return new Snapshot(topic, name, records, skipped, firstSkipped, sorted, List.copyOf(others));
    }
  }
}
