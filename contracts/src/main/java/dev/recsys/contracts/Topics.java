package dev.recsys.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Every topic of the system, in one place: names, partitions and configs.
 *
 * <ul>
 *   <li>{@code ratings}: rating events, keyed by userId, so one user's events stay in order.
 *   <li>{@code recommendations}: each user's current top-K, keyed by userId; compacted (and deleted
 *       after the job's default state TTL), so a consumer that starts late rebuilds every user's
 *       latest list from the topic alone.
 *   <li>{@code model-updates}: the current version per model name; compacted, one partition, so
 *       every reader sees announcements in order and a new reader finds the latest.
 *   <li>{@code model-metrics}: online quality per model version and window, keyed by model name;
 *       kept 30 days.
 *   <li>{@code dead-letter}: input that could not be used, with the reason; kept two weeks.
 * </ul>
 */
public final class Topics {

  /** A topic's definition. */
  public record Spec(String name, int partitions, Map<String, String> configs) {}

  public static final String RATINGS = "ratings";
  public static final String RECOMMENDATIONS = "recommendations";
  public static final String MODEL_UPDATES = "model-updates";
  public static final String MODEL_METRICS = "model-metrics";
  public static final String DEAD_LETTER = "dead-letter";

  private static final String DAY_MS = Long.toString(24L * 3600 * 1000);

  public static final List<Spec> ALL =
      List.of(
          new Spec(RATINGS, 4, Map.of("retention.ms", Long.toString(7 * 24L * 3600 * 1000))),
          new Spec(RECOMMENDATIONS, 4, Map.of(
              "cleanup.policy", "compact,delete",
              "retention.ms", Long.toString(90 * 24L * 3600 * 1000),
              "segment.ms", Long.toString(6 * 3600 * 1000L))), // compaction only cleans closed segments
          new Spec(
              MODEL_UPDATES,
              1,
              Map.of("cleanup.policy", "compact", "retention.ms", "-1", "min.compaction.lag.ms", DAY_MS)),
          new Spec(MODEL_METRICS, 1, Map.of("retention.ms", Long.toString(30 * 24L * 3600 * 1000))),
          new Spec(DEAD_LETTER, 1, Map.of("retention.ms", Long.toString(14 * 24L * 3600 * 1000))));

  private Topics() {}

  /** The definition of one topic. */
  public static Spec spec(String name) {
    return ALL.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException("no topic " + name));
  }

  /**
   * A topic's configs for a replication factor. With 3 replicas or more, a write needs 2 in sync
   * ({@code min.insync.replicas=2}): an acknowledged record ({@code acks=all}, which every producer
   * of the system uses) survives the loss of a broker, and one broker may be down without stopping
   * writes. Fewer replicas keep the broker's default (1), so that a single broker works.
   */
  public static Map<String, String> configs(Spec spec, short replicationFactor) {
    if (replicationFactor < 3) {
      return spec.configs();
    }
    Map<String, String> c = new java.util.HashMap<>(spec.configs());
    c.put("min.insync.replicas", "2");
    return Map.copyOf(c);
  }

  /** What {@link #create} did with each topic. */
  public record Outcome(String name, boolean created) {}

  /**
   * Creates every topic that does not exist yet, with {@link #configs}; existing topics are left
   * as they are, so this is idempotent and safe to run against a live cluster.
   */
  public static List<Outcome> create(Admin admin, short replicationFactor)
      throws ExecutionException, InterruptedException {
    Set<String> existing = admin.listTopics().names().get();
    List<Outcome> out = new ArrayList<>();
    for (Spec spec : ALL) {
      if (existing.contains(spec.name())) {
        out.add(new Outcome(spec.name(), false));
        continue;
      }
      NewTopic topic = new NewTopic(spec.name(), spec.partitions(), replicationFactor).configs(configs(spec, replicationFactor));
      try {
        admin.createTopics(List.of(topic)).all().get();
        out.add(new Outcome(spec.name(), true));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) { // lost a race with another creator
          throw e;
        }
        out.add(new Outcome(spec.name(), false));
      }
    }
    return out;
  }
}
