package dev.recsys.contracts;

/** A message that is not valid JSON or breaks its schema; the message says why. */
public class InvalidMessageException extends RuntimeException {
  public InvalidMessageException(String reason) {
    super(reason);
  }
}
