package dev.recsys.kafka.replay;

import dev.recsys.model.movielens.MovieLensReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

/**
 * A MovieLens ratings file loaded compactly (13 bytes a rating) and put in timestamp order (ties
 * keep file order), ready to replay. ML-20M fits in about 300 MB.
 */
public final class ReplayEvents {

  private final int[] users;
  private final int[] movies;
  private final byte[] halfStars;
  private final int[] seconds;

  private ReplayEvents(int[] users, int[] movies, byte[] halfStars, int[] seconds) {
    this.users = users;
    this.movies = movies;
    this.halfStars = halfStars;
    this.seconds = seconds;
  }

  /**
   * Loads the file, keeps only {@code onlyUsers} (all when null), sorts by time and keeps the first
   * {@code limit} events (all when 0).
   */
  public static ReplayEvents load(Path file, Set<Long> onlyUsers, long limit, boolean skipBadRows) throws IOException {
    int[][] cols = {new int[1 << 16], new int[1 << 16], new int[1 << 16]};
    byte[][] stars = {new byte[1 << 16]};
    int[] n = {0};
    MovieLensReader.read(file, skipBadRows, (u, m, r, t) -> {
      if (onlyUsers != null && !onlyUsers.contains(u)) {
        return;
      }
      if (n[0] == cols[0].length) {
        for (int c = 0; c < 3; c++) {
          cols[c] = Arrays.copyOf(cols[c], n[0] * 2);
        }
        stars[0] = Arrays.copyOf(stars[0], n[0] * 2);
      }
      cols[0][n[0]] = Math.toIntExact(u);
      cols[1][n[0]] = Math.toIntExact(m);
      cols[2][n[0]] = Math.toIntExact(t);
      stars[0][n[0]] = (byte) Math.round(r * 2);
      n[0]++;
    });
    long[] order = new long[n[0]];
    for (int i = 0; i < n[0]; i++) {
      order[i] = ((long) cols[2][i] << 32) | i; // seconds fit in 31 bits until 2038
    }
    Arrays.parallelSort(order);
    int size = limit > 0 ? (int) Math.min(limit, n[0]) : n[0];
    int[] u = new int[size];
    int[] m = new int[size];
    int[] t = new int[size];
    byte[] s = new byte[size];
    for (int k = 0; k < size; k++) {
      int i = (int) order[k];
      u[k] = cols[0][i];
      m[k] = cols[1][i];
      t[k] = cols[2][i];
      s[k] = stars[0][i];
    }
    return new ReplayEvents(u, m, s, t);
  }

  public int size() {
    return users.length;
  }

  public long userId(int i) {
    return users[i];
  }

  public long movieId(int i) {
    return movies[i];
  }

  public double rating(int i) {
    return halfStars[i] / 2.0;
  }

  public long timestampSeconds(int i) {
    return seconds[i];
  }
}
