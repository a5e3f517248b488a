package dev.recsys.app;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared real MovieLens (ml-latest-small) that quality tests read: they skip without it. */
public final class SharedMovieLens {

  private SharedMovieLens() {}

  /** Its ratings.csv, from {@code -Drecsys.movielens.dir} or the checkout's ../shared. */
  public static Path ratings() {
    return Path.of(System.getProperty("recsys.movielens.dir", "../../shared/data/ml-latest-small")).resolve("ratings.csv");
  }

  /** Its ratings.csv; skips the calling test when it is absent. */
  public static Path ratingsOrSkip() {
    Path r = ratings();
    assumeTrue(Files.isRegularFile(r), "MovieLens ml-latest-small not found at " + r.toAbsolutePath());
    return r;
  }
}
