package dev.recsys.job;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Unsigned LEB128 varints, with ZigZag for values that may be negative: the integer encoding of
 * the keyed state that every event rewrites ({@link ServedList}, {@link UserHistorySerializer}).
 * Small numbers take one byte; a long takes at most {@link #MAX_BYTES}.
 */
final class Varints {

  static final int MAX_BYTES = 10;

  private Varints() {}

  /** Writes {@code v} as an unsigned varint at {@code out[at]}; returns the position after it. */
  static int put(byte[] out, int at, long v) {
    while ((v & ~0x7fL) != 0) {
      out[at++] = (byte) ((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
  }

  /** Writes {@code v} as an unsigned varint to a stream. */
  static void write(DataOutput out, long v) throws IOException {
    while ((v & ~0x7fL) != 0) {
      out.writeByte((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.writeByte((int) v);
  }

  /** Reads one unsigned varint from a stream. */
  static long read(DataInput in) throws IOException {
    long v = 0;
    int shift = 0;
    byte b;
    do {
      b = in.readByte();
      v |= (long) (b & 0x7f) << shift;
      shift += 7;
    } while (b < 0);
    return v;
  }

  /** Maps signed to unsigned so that small magnitudes stay small: 0, -1, 1, -2 become 0, 1, 2, 3. */
  static long zigzag(long v) {
    return (v << 1) ^ (v >> 63);
  }

  static long unzigzag(long v) {
    return (v >>> 1) ^ -(v & 1);
  }

  /** Reads varints one after the other from an array. */
  static final class Reader {
    private final byte[] in;
    private int at;

    Reader(byte[] in) {
      this.in = in;
    }

    boolean hasNext() {
      return at < in.length;
    }

    long next() {
      long v = 0;
      int shift = 0;
      byte b;
      do {
        b = in[at++];
        v |= (long) (b & 0x7f) << shift;
        shift += 7;
      } while (b < 0);
      return v;
    }
  }
}
