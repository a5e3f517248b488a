package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import org.apache.flink.util.OutputTag;

/**
 * The job's one dead-letter route: every operator that refuses something (a rating that does not
 * parse, an announcement that does not verify, a model that does not load) emits to {@link #TAG},
 * and {@link RecommenderJob} sends all of them to the dead-letter sink.
 */
public final class DeadLetters {

  public static final OutputTag<DeadLetterEvent> TAG = new OutputTag<>("dead-letters") {};

  private DeadLetters() {}

  /** A bounded dead letter, stamped now. */
  static DeadLetterEvent of(String topic, int partition, long offset, byte[] payload, String error) {
    return DeadLetterEvent.of(topic, partition, offset, payload, error, System.currentTimeMillis());
  }

  static DeadLetterEvent of(RawRecord r, String error) {
    return of(r.topic, r.partition, r.offset, r.value, error);
  }
}
