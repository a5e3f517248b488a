package dev.recsys.kafka.cli;

import java.nio.charset.StandardCharsets;

/**
 * Text from records made fit for an operator's terminal: a payload or an error can carry escape
 * sequences that recolour, retitle or rewrite the screen, so no control character reaches it raw.
 */
public final class TerminalText {

  private TerminalText() {}

  /** {@code s} with every control character (C0, DEL, C1; line breaks too) written as a \\uXXXX escape. */
  public static String safe(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (Character.isISOControl(c)) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** A record's value as --json prints it: {@code null} for a tombstone, one JSON value per line either way. */
  static String json(byte[] value) {
    return value == null ? "null" : new String(value, StandardCharsets.UTF_8);
  }
}
