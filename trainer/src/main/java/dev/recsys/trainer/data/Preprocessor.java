package dev.recsys.trainer.data;

import dev.recsys.model.Interactions;
import dev.recsys.model.Shuffle;
import dev.recsys.model.movielens.DataFormatException;
import dev.recsys.model.movielens.MovieLensReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The preprocessing of Liang et al. (2018), as in their reference notebook:
 *
 * <ol>
 *   <li>keep ratings above 3.5 as positive interactions;
 *   <li>keep users with at least 5 positives;
 *   <li>shuffle the users with a seed; the last 2N are N validation and N test users, the rest
 *       train;
 *   <li>the item set is the items the training users interacted with, indexed in order of first
 *       appearance;
 *   <li>for each held-out user (items outside the item set dropped), if they have at least 5 items,
 *       a random 20% is held out as targets and the rest is the fold-in input; otherwise all of it
 *       is fold-in.
 * </ol>
 */
public final class Preprocessor {

  /**
   * @param minRating ratings strictly above this are positives (3.5)
   * @param minUserPositives users need at least this many positives (5)
   * @param heldOutUsers N, the number of validation users and of test users
   * @param testProportion the share of a held-out user's items that becomes targets (0.2)
   * @param seed the shuffle and split seed
   */
  public record Options(double minRating, int minUserPositives, int heldOutUsers, double testProportion, long seed) {
    public static Options paper(int heldOutUsers, long seed) {
      return new Options(Interactions.POSITIVE_ABOVE, 5, heldOutUsers, 0.2, seed);
    }
  }

  /** Counts from a run, for the report. */
  public record Stats(long ratings, long badRows, long positives, int users, int keptUsers, long parseMillis, long splitMillis) {}

  /** A split and how it was made. */
  public record Result(SplitData split, Stats stats) {}

  private Preprocessor() {}

  /** Reads a MovieLens ratings file and splits it. */
  public static Result run(Path ratings, Options o, boolean skipBadRows) throws IOException {
    long t0 = System.nanoTime();
    IntList users = new IntList();
    IntList movies = new IntList();
    MovieLensReader reader =
        MovieLensReader.read(
            ratings,
            skipBadRows,
            (u, m, r, ts) -> {
              if (r > o.minRating()) {
                if (u > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
                  throw new DataFormatException(ratings, 0, "id above 2^31: user " + u + " movie " + m);
                }
                users.add((int) u);
                movies.add((int) m);
              }
            });
    long t1 = System.nanoTime();
    Result r = split(users.toArray(), movies.toArray(), reader.rows(), reader.badRows(), o);
    long t2 = System.nanoTime();
    Stats s = r.stats();
    return new Result(
        r.split(),
        new Stats(s.ratings(), s.badRows(), s.positives(), s.users(), s.keptUsers(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000));
  }

  /** Splits positive (user, movie) pairs given in file order. */
  public static Result split(int[] userOf, int[] movieOf, long ratings, long badRows, Options o) {
    int n = userOf.length;
    // dense user index over sorted unique userIds (pandas groupby order)
    int[] uniqueUsers = Arrays.stream(userOf).sorted().distinct().toArray();
    int[] userIdx = new int[n];
    int[] count = new int[uniqueUsers.length];
    for (int i = 0; i < n; i++) {
      userIdx[i] = Arrays.binarySearch(uniqueUsers, userOf[i]);
      count[userIdx[i]]++;
    }
    int[] kept = java.util.stream.IntStream.range(0, uniqueUsers.length).filter(u -> count[u] >= o.minUserPositives()).toArray();
    int nUsers = kept.length;
    int nHeld = o.heldOutUsers();
    if (nUsers <= 2 * nHeld) {
      throw new IllegalArgumentException(
          nUsers + " users have at least " + o.minUserPositives() + " positives; need more than 2 x " + nHeld + " held-out users");
    }
    SplittableRandom rnd = new SplittableRandom(o.seed());
    Shuffle.inPlace(kept, rnd);
    int nTrain = nUsers - 2 * nHeld;
    int[] uid = new int[uniqueUsers.length]; // position in the shuffled order, -1 when dropped
    Arrays.fill(uid, -1);
    for (int p = 0; p < nUsers; p++) {
      uid[kept[p]] = p;
    }

    // item set: movies of training users, in order of first appearance
    Map<Integer, Integer> sidOf = new HashMap<>();
    IntList movieIds = new IntList();
    IntList trRow = new IntList();
    IntList trCol = new IntList();
    for (int i = 0; i < n; i++) {
      int p = uid[userIdx[i]];
      if (p < 0 || p >= nTrain) {
        continue;
      }
      Integer sid = sidOf.get(movieOf[i]);
      if (sid == null) {
        sid = movieIds.size();
        sidOf.put(movieOf[i], sid);
        movieIds.add(movieOf[i]);
      }
      trRow.add(p);
      trCol.add(sid);
    }
    int nItems = movieIds.size();
    Csr train = Csr.fromPairs(nTrain, nItems, trRow.raw(), trCol.raw(), trRow.size());

    // held-out users' known items, grouped per user in file order
    IntList[] heldItems = new IntList[2 * nHeld];
    for (int i = 0; i < n; i++) {
      int p = uid[userIdx[i]];
      if (p < nTrain) {
        continue;
      }
      Integer sid = sidOf.get(movieOf[i]);
      if (sid != null) {
        IntList l = heldItems[p - nTrain];
        if (l == null) {
          heldItems[p - nTrain] = l = new IntList();
        }
        l.add(sid);
      }
    }
    // the reference visits held-out users in userId order when drawing the 20%
    Integer[] order = new Integer[2 * nHeld];
    for (int k = 0; k < order.length; k++) {
      order[k] = k;
    }
    Arrays.sort(order, (a, b) -> Integer.compare(uniqueUsers[kept[nTrain + a]], uniqueUsers[kept[nTrain + b]]));
    Csr[][] parts = new Csr[2][2];
    IntList[][] rows = {{new IntList(), new IntList()}, {new IntList(), new IntList()}}; // [val/test][tr/te] rows
    IntList[][] cols = {{new IntList(), new IntList()}, {new IntList(), new IntList()}};
    boolean[][] heldOutMask = new boolean[2 * nHeld][];
    for (int k : order) {
      IntList items = heldItems[k];
      int m = items == null ? 0 : items.size();
      boolean[] te = new boolean[m];
      if (m >= 5) {
        int take = (int) (o.testProportion() * m);
        for (int j : Shuffle.sample(m, take, rnd)) {
          te[j] = true;
        }
      }
      heldOutMask[k] = te;
    }
    for (int k = 0; k < 2 * nHeld; k++) {
      int set = k < nHeld ? 0 : 1;
      int row = k % nHeld;
      IntList items = heldItems[k];
      for (int j = 0; items != null && j < items.size(); j++) {
        int part = heldOutMask[k][j] ? 1 : 0;
        rows[set][part].add(row);
        cols[set][part].add(items.get(j));
      }
    }
    for (int set = 0; set < 2; set++) {
      for (int part = 0; part < 2; part++) {
        parts[set][part] = Csr.fromPairs(nHeld, nItems, rows[set][part].raw(), cols[set][part].raw(), rows[set][part].size());
      }
    }
    long[] ids = Arrays.stream(movieIds.toArray()).asLongStream().toArray();
    SplitData split = new SplitData(train, parts[0][0], parts[0][1], parts[1][0], parts[1][1], ids);
    return new Result(split, new Stats(ratings, badRows, n, uniqueUsers.length, nUsers, 0, 0));
  }
}
