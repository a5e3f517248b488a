package dev.recsys.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code recsys demo}: the whole system on this machine, from one command. */
@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
      "Run everything locally: embedded Kafka, a model trained on the CPU and published as v1, the Flink job",
      "(MiniCluster, RocksDB, lists sent as soon as they are scored), a replay of held-out users with live recommendations, and a v2",
      "swapped in half-way without a restart. Needs only a JDK; Ctrl-C stops it cleanly."
    })
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--work-dir", defaultValue = "recsys-demo", description = "Data, registry, checkpoints and reports go here (default: ./${DEFAULT-VALUE})")
  Path workDir;

  @Option(names = "--ratings", description = "A MovieLens ratings file to use instead of generated data")
  Path ratings;

  @Option(names = "--movies", description = "movies.csv for titles (with --ratings)")
  Path movies;

  @Option(names = "--bootstrap", description = "Use this Kafka instead of starting an embedded broker")
  String bootstrap;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "With --bootstrap: Kafka client properties for every client (security settings, e.g. sasl.jaas.config: secrets stay out of the command line)")
  Path clientConfig;

  @Option(names = "--live-users", defaultValue = "150", description = "Users held out of training and replayed live (default: ${DEFAULT-VALUE})")
  int liveUsers;

  @Option(names = "--rate", defaultValue = "300", description = "Replay rate, events per second (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--epochs", defaultValue = "15", description = "Training epochs per model (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--synthetic-users", defaultValue = "3000", description = "Users of the generated data (default: ${DEFAULT-VALUE})")
  int synthUsers;

  @Option(names = "--synthetic-movies", defaultValue = "800", description = "Movies of the generated data (default: ${DEFAULT-VALUE})")
  int synthMovies;

  @Option(names = "--seed", defaultValue = "7", description = "Seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--print-every", defaultValue = "40", description = "Print every n-th recommendation (default: ${DEFAULT-VALUE})")
  int printEvery;

  @Override
  public Integer call() throws Exception {
    Demo.Summary s = Demo.run(new Demo.Options(workDir, ratings, movies, bootstrap, clientConfig, liveUsers, rate, epochs, synthUsers, synthMovies, seed,
        printEvery, System.out));
    return s.recommendations() > 0 ? 0 : 1;
  }
}
