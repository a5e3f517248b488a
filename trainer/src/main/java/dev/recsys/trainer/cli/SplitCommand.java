package dev.recsys.trainer.cli;

import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitIO;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code recsys split}: only the preprocessing, written in the reference layout. */
@Command(name = "split", mixinStandardHelpOptions = true, description = "Preprocess MovieLens ratings with the paper's protocol and write the reference split layout.")
public final class SplitCommand implements Callable<Integer> {

  @Option(names = "--ratings", required = true, description = "MovieLens ratings file (csv, dat, gz or zip)")
  Path ratings;

  @Option(names = "--out", required = true, description = "Split directory to write")
  Path out;

  @Option(names = "--held-out-users", defaultValue = "10000", description = "N validation and N test users (default: ${DEFAULT-VALUE})")
  int heldOut;

  @Option(names = "--seed", defaultValue = "98765", description = "Seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--skip-bad-rows", description = "Skip and count malformed rows")
  boolean skipBadRows;

  @Override
  public Integer call() throws Exception {
    Preprocessor.Result r = Preprocessor.run(ratings, Preprocessor.Options.paper(heldOut, seed), skipBadRows);
    SplitIO.write(out, r.split());
    Preprocessor.Stats s = r.stats();
    System.out.printf("%,d ratings (%,d bad rows skipped), %,d positives, %,d of %,d users kept; parse %.1fs, split %.1fs%n",
        s.ratings(), s.badRows(), s.positives(), s.keptUsers(), s.users(), s.parseMillis() / 1e3, s.splitMillis() / 1e3);
    System.out.println(r.split().describe());
    System.out.println("wrote " + out);
    return 0;
  }
}
