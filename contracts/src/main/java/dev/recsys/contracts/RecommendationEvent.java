package dev.recsys.contracts;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
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
@JsonSerialize(using = RecommendationEvent.Writer.class)
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

  /**
   * Writes an event field by field, with its names encoded once: databind's bean machinery, run
   * for each of the 100 items, cost the job's task thread more than formatting the numbers. The
   * small fields come first, so that a consumer after the trigger's position or time finds them at
   * once.
   */
  static final class Writer extends StdSerializer<RecommendationEvent> {

    private static final long serialVersionUID = 1L;
    private static final SerializedString USER_ID = new SerializedString("userId");
    private static final SerializedString MODEL_NAME = new SerializedString("modelName");
    private static final SerializedString MODEL_VERSION = new SerializedString("modelVersion");
    private static final SerializedString TRIGGER_TIMESTAMP = new SerializedString("triggerTimestamp");
    private static final SerializedString TRIGGER_PUBLISHED_AT = new SerializedString("triggerPublishedAt");
    private static final SerializedString TRIGGER_PARTITION = new SerializedString("triggerPartition");
    private static final SerializedString TRIGGER_OFFSET = new SerializedString("triggerOffset");
    private static final SerializedString EMITTED_AT = new SerializedString("emittedAt");
    private static final SerializedString FALLBACK = new SerializedString("fallback");
    private static final SerializedString ITEMS = new SerializedString("items");
    private static final SerializedString MOVIE_ID = new SerializedString("movieId");
    private static final SerializedString SCORE = new SerializedString("score");

    Writer() {
      super(RecommendationEvent.class);
    }

    @Override
    public void serialize(RecommendationEvent e, JsonGenerator g, SerializerProvider provider) throws IOException {
      g.writeStartObject();
      number(g, USER_ID, e.userId);
      g.writeFieldName(MODEL_NAME);
      g.writeString(e.modelName);
      number(g, MODEL_VERSION, e.modelVersion);
      number(g, TRIGGER_TIMESTAMP, e.triggerTimestamp);
      number(g, TRIGGER_PUBLISHED_AT, e.triggerPublishedAt);
      number(g, TRIGGER_PARTITION, e.triggerPartition);
      number(g, TRIGGER_OFFSET, e.triggerOffset);
      number(g, EMITTED_AT, e.emittedAt);
      g.writeFieldName(FALLBACK);
      g.writeBoolean(e.fallback);
      g.writeFieldName(ITEMS);
      if (e.items == null) {
        g.writeNull();
      } else {
        g.writeStartArray();
        for (Item i : e.items) {
          g.writeStartObject();
          number(g, MOVIE_ID, i.movieId);
          g.writeFieldName(SCORE);
          g.writeNumber(i.score);
          g.writeEndObject();
        }
        g.writeEndArray();
      }
      g.writeEndObject();
    }

    /** An integer field (an int's digits are the same written as a long). */
    private static void number(JsonGenerator g, SerializedString name, long value) throws IOException {
      g.writeFieldName(name);
      g.writeNumber(value);
    }
  }
}
