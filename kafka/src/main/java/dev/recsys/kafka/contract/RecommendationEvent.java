package dev.recsys.kafka.contract;

import java.util.List;

/** A fresh top-K for a user; {@code schemas/recommendation-event.schema.json}. */
public record RecommendationEvent(
    long userId,
    String modelName,
    int modelVersion,
    List<Item> items,
    long triggerTimestamp,
    long emittedAt,
    boolean fallback) {

  /** A recommended movie and its score. */
  public record Item(long movieId, double score) {}
}
