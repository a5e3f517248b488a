package dev.recsys.contracts;

import java.nio.charset.StandardCharsets;

/** An unusable input record and why; {@code schemas/dead-letter-event.schema.json}. */
public record DeadLetterEvent(
    String sourceTopic, int partition, long offset, String payload, String error, long time) {

  /** Payloads longer than this are truncated. */
  public static final int MAX_PAYLOAD_CHARS = 4096;

  public static DeadLetterEvent of(String topic, int partition, long offset, byte[] raw, String error, long time) {
    String payload = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
    if (payload.length() > MAX_PAYLOAD_CHARS) {
      payload = payload.substring(0, MAX_PAYLOAD_CHARS);
    }
    return new DeadLetterEvent(topic, partition, offset, payload, error, time);
  }
}
