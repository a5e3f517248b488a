package dev.recsys.job;

import dev.recsys.model.Interactions;
import java.util.Arrays;

/**
 * A user's ratings as kept in keyed state: external movieIds (never model indices, so the state
 * survives a model with another vocabulary), each with its latest rating and that rating's time,
 * ordered by time. RocksDB keeps it in {@link UserHistorySerializer}'s varints; a Flink POJO
 * elsewhere (the queue's operator state), and in checkpoints written before that serializer.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>positives are the ratings above {@link Interactions#POSITIVE_ABOVE}; every rated movie is
 *       excluded from recommendations;
 *   <li>a later rating of the same movie replaces the earlier one, so a lower re-rating removes it
 *       from the positives; an older event than the one stored is ignored;
 *   <li>a duplicate event changes nothing;
 *   <li>the model's input is capped: at most {@code cap} recent ratings are kept with their
 *       rating and time, the oldest forgotten first; the exclusions are not: every movie the user
 *       ever rated stays in {@link #excluded} (a sorted array, 8 bytes a movie), so a heavy user
 *       is never recommended a movie they rated long ago. A re-rating of a forgotten movie counts
 *       as new, since its old time is gone.
 * </ul>
 */
public class UserHistory {

  public long[] movieIds = new long[0];
  public float[] ratings = new float[0];
  public long[] timestamps = new long[0];
  /** Every movie ever rated, sorted; a superset of {@link #movieIds}. */
  public long[] excluded = new long[0];

  public UserHistory() {}

  /**
   * Applies a rating.
   *
   * @return whether the history changed (a duplicate or stale event does not change it)
   */
  public boolean apply(long movieId, float rating, long timestamp, int cap) {
    int at = indexOf(movieId);
    if (at >= 0) {
      if (timestamp < timestamps[at] || (timestamp == timestamps[at] && rating == ratings[at])) {
        return false; // stale or duplicate
      }
      if (rating == ratings[at] && timestamp >= timestamps[at]) {
        // same opinion again: refresh its recency without counting it as a change
        remove(at);
        insert(movieId, rating, timestamp);
        return false;
      }
      remove(at);
    }
    insert(movieId, rating, timestamp);
    exclude(movieId);
    while (movieIds.length > cap) {
      remove(0);
    }
    return true;
  }

  /** Movies rated above the positive threshold, oldest first. */
  public long[] positives() {
    long[] out = new long[movieIds.length];
    int n = 0;
    for (int i = 0; i < movieIds.length; i++) {
      if (Interactions.isPositive(ratings[i])) {
        out[n++] = movieIds[i];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** Every movie the user ever rated, sorted (also those the cap has forgotten). */
  public long[] rated() {
    if (excluded.length < movieIds.length) { // state written before the exclusions were kept apart
      for (long m : movieIds) {
        exclude(m);
      }
    }
    return excluded.clone();
  }

  private void exclude(long movieId) {
    int at = Arrays.binarySearch(excluded, movieId);
    if (at < 0) {
      excluded = put(excluded, -at - 1, movieId);
    }
  }

  /** Whether the user ever rated {@code movieId} (also one the cap has forgotten). */
  public boolean hasRated(long movieId) {
    return Arrays.binarySearch(excluded, movieId) >= 0 || indexOf(movieId) >= 0;
  }

  public int size() {
    return movieIds.length;
  }

  private int indexOf(long movieId) {
    for (int i = 0; i < movieIds.length; i++) {
      if (movieIds[i] == movieId) {
        return i;
      }
    }
    return -1;
  }

  private void remove(int i) {
    movieIds = cut(movieIds, i);
    float[] r = new float[ratings.length - 1];
    System.arraycopy(ratings, 0, r, 0, i);
    System.arraycopy(ratings, i + 1, r, i, r.length - i);
    ratings = r;
    timestamps = cut(timestamps, i);
  }

  /** Inserts keeping time order (events mostly arrive in order, so this is usually an append). */
  private void insert(long movieId, float rating, long timestamp) {
    int at = movieIds.length;
    while (at > 0 && timestamps[at - 1] > timestamp) {
      at--;
    }
    movieIds = put(movieIds, at, movieId);
    timestamps = put(timestamps, at, timestamp);
    float[] r = new float[ratings.length + 1];
    System.arraycopy(ratings, 0, r, 0, at);
    r[at] = rating;
    System.arraycopy(ratings, at, r, at + 1, ratings.length - at);
    ratings = r;
  }

  private static long[] cut(long[] a, int i) {
    long[] out = new long[a.length - 1];
    System.arraycopy(a, 0, out, 0, i);
    System.arraycopy(a, i + 1, out, i, out.length - i);
    return out;
  }

  private static long[] put(long[] a, int i, long v) {
    long[] out = new long[a.length + 1];
    System.arraycopy(a, 0, out, 0, i);
    out[i] = v;
    System.arraycopy(a, i, out, i + 1, a.length - i);
    return out;
  }
}
