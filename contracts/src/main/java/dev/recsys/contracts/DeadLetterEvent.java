package dev.recsys.contracts;

import java.nio.charset.StandardCharsets;

/**
 * An unusable input record and why; {@code schemas/dead-letter-event.schema.json}. Both the payload
 * and the error are truncated, so a dead letter stays far below any producer's request limit
 * (at most {@value #MAX_PAYLOAD_CHARS} + {@value #MAX_ERROR_CHARS} characters, under 32 KB as JSON
 * even when every character needs a six-byte escape) whatever the input was.
 */
public record DeadLetterEvent(
    String sourceTopic, int partition, long offset, String payload, String error, long time) {

  /** Payloads longer than this are truncated. */
  public static final int MAX_PAYLOAD_CHARS = 4096;

  /** Errors longer than this are truncated (they may quote the input). */
  public static final int MAX_ERROR_CHARS = 1024;

  public static DeadLetterEvent of(String topic, int partition, long offset, byte[] raw, String error, long time) {
    String payload = raw == null ? "" : new String(raw, StandardCharsets.UTF_8);
    return new DeadLetterEvent(topic, partition, offset, truncate(payload, MAX_PAYLOAD_CHARS), truncate(error, MAX_ERROR_CHARS), time);
  }

  private static String truncate(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max; // never split a surrogate pair
    return s.substring(0, end);
  }
}
