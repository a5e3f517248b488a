package dev.recsys.job;

import java.util.Arrays;

/**
 * The movies of the last list a version gave a user, best first: what the user's next positive
 * rating is checked against (keyed state, one for the live version and one for a shadow). A Flink
 * POJO.
 *
 * <p>Every emitted list rewrites this state, so its size is what RocksDB's memtables fill with and
 * what each checkpoint's synchronous flush writes: the movies are kept as varints (unsigned LEB128,
 * three bytes for an ML-20M movieId) rather than eight-byte longs.
 */
public class ServedList {
  public int version;
  /** For a shadow's list: the live version scored on the same batch (0 for a live list). */
  public int baselineVersion;
  /** The movieIds, best first, as varints. */
  public byte[] ranked;
  /**
   * The same as longs: how the lists were kept before {@link #ranked}. Lists restored from such a
   * checkpoint still read here until the user's next list replaces them (Flink's POJO schema
   * evolution fills the new field with null); new lists leave it null.
   */
  public long[] movieIds;

  public ServedList() {}

  ServedList(int version, int baselineVersion, long[] movieIds) {
    this.version = version;
    this.baselineVersion = baselineVersion;
    this.ranked = encode(movieIds);
  }

  /** 1-based rank of {@code movieId} in the list, 0 when absent. */
  int rank(long movieId) {
    if (ranked == null) {
      if (movieIds != null) {
        for (int i = 0; i < movieIds.length; i++) {
          if (movieIds[i] == movieId) {
            return i + 1;
          }
        }
      }
      return 0;
    }
    Varints.Reader in = new Varints.Reader(ranked);
    int rank = 0;
    while (in.hasNext()) {
      rank++;
      if (in.next() == movieId) {
        return rank;
      }
    }
    return 0;
  }

  /** Runs on the task thread for every emitted list: a plain array, not a (synchronized) stream. */
  private static byte[] encode(long[] ids) {
    byte[] out = new byte[ids.length * Varints.MAX_BYTES];
    int n = 0;
    for (long id : ids) {
      n = Varints.put(out, n, id);
    }
    return Arrays.copyOf(out, n);
  }
}
