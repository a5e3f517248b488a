package dev.recsys.contracts;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * A fresh top-K for a user; {@code schemas/recommendation-event.schema.json}.
 *
 * @param triggerTimestamp the triggering rating's own time, epoch ms
 * @param emittedAt when the job produced this, epoch ms
 * @param triggerPublishedAt the triggering record's Kafka timestamp, epoch ms: emittedAt minus this
 *     is the end-to-end latency
 * @param triggerPartition the ratings partition of the triggering record
 * @param triggerOffset its offset there. A user's ratings share one partition, so of two lists of a
 *     user the one with the higher offset is newer, and one with an equal offset is a repeat (the
 *     at-least-once sink sends lists again after a failure)
 */
// the small fields first, so that a consumer after the trigger's position or time finds them at once
@JsonPropertyOrder({"userId", "modelName", "modelVersion", "triggerTimestamp", "triggerPublishedAt", "triggerPartition", "triggerOffset",
    "emittedAt", "fallback", "items"})
public record RecommendationEvent(
    long userId,
    String modelName,
    int modelVersion,
    List<Item> items,
    long triggerTimestamp,
    long emittedAt,
    boolean fallback,
    long triggerPublishedAt,
    int triggerPartition,
    long triggerOffset) {

  /** Whether this list supersedes {@code previous} of the same user: a newer trigger, not a repeat or a stale one. */
  public boolean supersedes(RecommendationEvent previous) {
    return previous == null
        || triggerPartition != previous.triggerPartition // the topic was repartitioned: trust arrival
        || triggerOffset > previous.triggerOffset;
  }

  /** A recommended movie and its score: float precision, written in its shortest form. */
  public record Item(long movieId, float score) {}
}
