package dev.recsys.model.movielens;

import dev.recsys.model.Shuffle;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Generates MovieLens-shaped data with real taste structure, in the ML-20M CSV schema.
 *
 * <p>Every movie has one genre and a Zipf-like popularity. Every user loves one to three genres:
 * most of their ratings fall in those genres and are high; the rest follow global popularity and
 * are mediocre. Users rate a log-normal number of movies (at least {@code minRatings}), with
 * increasing timestamps. So a model that learns co-occurrence recommends a Sci-Fi fan more Sci-Fi,
 * and the result is visibly sensible in the demo.
 *
 * @param users number of users
 * @param movies number of movies
 * @param meanRatings mean ratings per user
 * @param minRatings minimum ratings per user (ML-20M: 20)
 * @param seed random seed; the same seed gives the same files
 */
public record SyntheticMovieLens(int users, int movies, int meanRatings, int minRatings, long seed) {

  public static final String[] GENRES = {
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
    "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western"
  };

  /** Genre of a movie (movieIds start at 1). */
  public static String genreOf(long movieId) {
    return GENRES[(int) ((movieId - 1) % GENRES.length)];
  }

  /**
   * Writes {@code ratings.csv} and {@code movies.csv} into {@code dir}.
   *
   * @param progress called with the number of users written so far, every 1000 users
   * @return the number of ratings written
   */
  public long write(Path dir, LongConsumer progress) throws IOException {
    Files.createDirectories(dir);
    writeMovies(dir.resolve("movies.csv"));
    SplittableRandom rnd = new SplittableRandom(seed);
    int g = GENRES.length;
    // popularity: Zipf(1.0) over a random permutation of movies
    double[] weight = new double[movies];
    int[] perm = Shuffle.permutation(movies, rnd);
    for (int r = 0; r < movies; r++) {
      weight[perm[r]] = 1.0 / Math.pow(r + 1, 0.9);
    }
    double[] global = cumulative(weight, i -> true);
    double[][] byGenre = new double[g][];
    for (int k = 0; k < g; k++) {
      final int genre = k;
      byGenre[k] = cumulative(weight, i -> i % g == genre);
    }
    long written = 0;
    long time = 1_100_000_000L; // 2004-11
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("ratings.csv"), StandardCharsets.UTF_8)) {
      w.write("userId,movieId,rating,timestamp\n");
      double sigma = 0.9;
      double mu = Math.log(Math.max(1, meanRatings - minRatings)) - sigma * sigma / 2;
      StringBuilder sb = new StringBuilder(64);
      for (int u = 1; u <= users; u++) {
        int n = (int) Math.min(movies / 2, minRatings + Math.exp(mu + sigma * rnd.nextGaussian()));
        int loves = 1 + rnd.nextInt(3);
        int[] liked = new int[loves];
        for (int k = 0; k < loves; k++) {
          liked[k] = rnd.nextInt(g);
        }
        Set<Integer> seen = new HashSet<>(n * 2);
        // users start within a few days of each other and rate over hours, so a replay in time
        // order interleaves many users, as real traffic does
        long t = time + rnd.nextInt(3 * 24 * 3600);
        int attempts = 0;
        while (seen.size() < n && attempts++ < n * 20) {
          boolean inTaste = rnd.nextDouble() < 0.8;
          double[] cdf = inTaste ? byGenre[liked[rnd.nextInt(loves)]] : global;
          int movie = sample(cdf, rnd);
          if (!seen.add(movie)) {
            continue;
          }
          boolean loved = Arrays.stream(liked).anyMatch(k -> k == movie % g);
          double stars = loved ? 4.3 + 0.6 * rnd.nextGaussian() : 2.8 + 0.9 * rnd.nextGaussian();
          double half = Math.max(0.5, Math.min(5.0, Math.round(stars * 2) / 2.0));
          t += 1 + rnd.nextInt(3600);
          sb.setLength(0);
          sb.append(u).append(',').append(movie + 1).append(',').append(half).append(',').append(t).append('\n');
          w.write(sb.toString());
          written++;
        }
        if (u % 1000 == 0 && progress != null) {
          progress.accept(u);
        }
      }
    }
    return written;
  }

  private void writeMovies(Path file) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("movieId,title,genres\n");
      for (int m = 1; m <= movies; m++) {
        String genre = genreOf(m);
        w.write(m + "," + genre + " Movie #" + m + " (" + (1950 + m % 70) + ")," + genre + "\n");
      }
    }
  }

  private static double[] cumulative(double[] w, java.util.function.IntPredicate keep) {
    double[] c = new double[w.length];
    double s = 0;
    for (int i = 0; i < w.length; i++) {
      s += keep.test(i) ? w[i] : 0;
      c[i] = s;
    }
    return c;
  }

  private static int sample(double[] cdf, SplittableRandom rnd) {
    double x = rnd.nextDouble() * cdf[cdf.length - 1];
    int i = Arrays.binarySearch(cdf, x);
    i = i < 0 ? -i - 1 : i;
    // skip zero-weight entries that share the cumulative value
    while (i < cdf.length - 1 && (i == 0 ? cdf[0] : cdf[i] - cdf[i - 1]) == 0) {
      i++;
    }
    return Math.min(i, cdf.length - 1);
  }
}
