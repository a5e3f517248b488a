package dev.recsys.job;

/**
 * The movies of the last list a version gave a user, best first: what the user's next positive
 * rating is checked against (keyed state, one for the live version and one for a shadow). A Flink
 * POJO.
 */
public class ServedList {
  public int version;
  /** For a shadow's list: the live version scored on the same batch (0 for a live list). */
  public int baselineVersion;
  public long[] movieIds = new long[0];

  public ServedList() {}

  ServedList(int version, int baselineVersion, long[] movieIds) {
    this.version = version;
    this.baselineVersion = baselineVersion;
    this.movieIds = movieIds;
  }
}
