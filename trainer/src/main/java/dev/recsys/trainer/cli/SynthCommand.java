package dev.recsys.trainer.cli;

import dev.recsys.model.movielens.SyntheticMovieLens;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code recsys synth}: MovieLens-shaped ratings with taste structure. */
@Command(
    name = "synth",
    mixinStandardHelpOptions = true,
    description = "Generate MovieLens-shaped ratings.csv and movies.csv with long-tailed popularity and user taste structure (defaults: the shape of ML-20M).")
public final class SynthCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, description = "Output directory")
  Path out;

  @Option(names = "--users", defaultValue = "138493", description = "Users (default: ${DEFAULT-VALUE})")
  int users;

  @Option(names = "--movies", defaultValue = "26744", description = "Movies (default: ${DEFAULT-VALUE})")
  int movies;

  @Option(names = "--mean-ratings", defaultValue = "144", description = "Mean ratings per user (default: ${DEFAULT-VALUE})")
  int mean;

  @Option(names = "--min-ratings", defaultValue = "20", description = "Minimum ratings per user (default: ${DEFAULT-VALUE})")
  int min;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Override
  public Integer call() throws Exception {
    long n;
    try (ProgressBar bar = new ProgressBarBuilder().setTaskName("users").setInitialMax(users).setStyle(ProgressBarStyle.ASCII).build()) {
      n = new SyntheticMovieLens(users, movies, mean, min, seed).write(out, bar::stepTo);
      bar.stepTo(users);
    }
    System.out.printf("wrote %,d ratings of %,d users on %,d movies to %s%n", n, users, movies, out.resolve("ratings.csv"));
    return 0;
  }
}
