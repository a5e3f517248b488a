package dev.recsys.trainer;

import dev.recsys.model.movielens.SyntheticMovieLens;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import java.io.IOException;
import java.nio.file.Path;

/** Small generated datasets with planted taste structure. */
public final class TestData {

  private TestData() {}

  static Path ratings(Path dir, int users, int movies, long seed) throws IOException {
    new SyntheticMovieLens(users, movies, 30, 10, seed).write(dir, null);
    return dir.resolve("ratings.csv");
  }

  public static SplitData split(Path dir, int users, int movies, int heldOut, long seed) throws IOException {
    return Preprocessor.run(ratings(dir, users, movies, seed), Preprocessor.Options.paper(heldOut, seed), false).split();
  }
}
