package dev.recsys.contracts;

import java.util.List;

/**
 * A fresh top-K for a user; {@code schemas/recommendation-event.schema.json}.
 *
 * @param triggerTimestamp the triggering rating's own time, epoch ms
 * @param emittedAt when the job produced this, epoch ms
 * @param triggerPublishedAt the triggering record's Kafka timestamp, epoch ms: emittedAt minus this
 *     is the end-to-end latency
 */
public record RecommendationEvent(
    long userId,
    String modelName,
    int modelVersion,
    List<Item> items,
    long triggerTimestamp,
    long emittedAt,
    boolean fallback,
    long triggerPublishedAt) {

  /** A recommended movie and its score. */
  public record Item(long movieId, double score) {}
}
