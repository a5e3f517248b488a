package dev.recsys.trainer.cli;

import ai.djl.Device;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.ModelType;
import dev.recsys.trainer.TrainingPipeline;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code recsys train}, the command line of {@link TrainingPipeline}: flags in, one pipeline run,
 * a summary out, and optionally the bundle published. The stable contract is {@code train --split
 * DIR --model vae|dae --out DIR}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains Mult-VAE or Mult-DAE with the paper's protocol, evaluates it and the popularity and EASE baselines,",
      "and writes DIR/report.json, report.md, loss.png, validation.png and the model bundle DIR/bundle."
    })
public final class TrainCommand implements Callable<Integer> {

  static final class Input {
    @Option(names = "--ratings", description = "MovieLens ratings: ratings.csv, ratings.dat, .gz or the GroupLens .zip")
    Path ratings;

    @Option(names = "--split", description = "A split directory in the reference layout (train.csv, validation_tr.csv, ...)")
    Path split;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  @Option(names = "--model", defaultValue = "vae", description = "vae or dae (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--out", required = true, description = "Output directory")
  Path out;

  @Option(names = "--held-out-users", defaultValue = "10000", description = "N validation and N test users (default: ${DEFAULT-VALUE}, ML-20M)")
  int heldOut;

  @Option(names = "--split-seed", defaultValue = "98765", description = "Seed of the user shuffle and 80/20 split (default: ${DEFAULT-VALUE})")
  long splitSeed;

  @Option(names = "--skip-bad-rows", description = "Skip and count malformed rows instead of stopping at the first")
  boolean skipBadRows;

  @Option(names = "--epochs", defaultValue = "200", description = "Epochs (default: ${DEFAULT-VALUE})")
  int epochs;

  @Option(names = "--batch-size", defaultValue = "500", description = "Users per batch (default: ${DEFAULT-VALUE}); the DAE's L2 is 0.01/batch")
  int batchSize;

  @Option(names = "--anneal-cap", defaultValue = "0.2", description = "VAE: cap of beta (default: ${DEFAULT-VALUE})")
  double annealCap;

  @Option(names = "--total-anneal-steps", defaultValue = "200000", description = "VAE: updates until beta reaches the cap (default: ${DEFAULT-VALUE})")
  long annealSteps;

  @Option(names = "--hidden", split = ",", description = "Hidden sizes (default: 600 for vae, none for dae)")
  int[] hidden;

  @Option(names = "--latent", defaultValue = "200", description = "Latent size (default: ${DEFAULT-VALUE})")
  int latent;

  @Option(names = "--seed", defaultValue = "98765", description = "Training seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--ease-lambdas", split = ",", description = "EASE lambda grid tuned on validation (default: 50,100,200,500,1000,2000)")
  List<Double> easeLambdas = TrainingPipeline.DEFAULT_EASE_LAMBDAS;

  @Option(names = "--no-ease", description = "Skip the EASE baseline")
  boolean noEase;

  @Option(names = "--no-progress", description = "No progress bars (one line per epoch only)")
  boolean noProgress;

  @Mixin DeviceOptions device;

  @Option(names = "--publish", description = "Publish the bundle to the registry as a new current version")
  boolean publish;

  @Mixin RegistryOptions registry;

  @Override
  public Integer call() throws Exception {
    DjlRuntime.configure(null, device.threads());
    Device dev = DjlRuntime.device(device.device);
    ModelType type = ModelType.parse(model);
    TrainConfig.Builder settings =
        TrainConfig.builder(type).epochs(epochs).batchSize(batchSize).seed(seed).annealing(annealCap, annealSteps).latent(latent);
    if (hidden != null) {
      settings.hidden(hidden);
    }
    TrainConfig cfg = settings.build();
    TrainingPipeline.Result r =
        TrainingPipeline.run(
            new TrainingPipeline.Options(
                input.ratings, input.split, Preprocessor.Options.paper(heldOut, splitSeed), skipBadRows, cfg, dev,
                out, noEase ? List.of() : easeLambdas, new ConsoleProgress(epochs, !noProgress, System.out)));
    Metrics t = r.report().test();
    System.out.printf("test NDCG@100 %.4f  Recall@20 %.4f  Recall@50 %.4f  heldOutRecall@20 %.4f  heldOutRecall@100 %.4f  (%d users)%n",
        t.ndcg100(), t.recall20(), t.recall50(), t.heldOutRecall20(), t.heldOutRecall100(), t.users());
    System.out.println("report: " + out.resolve("report.md"));
    System.out.println("bundle: " + r.bundle());
    if (publish) {
      ModelRegistry.Version v = new ModelRegistry(registry.registry).publish(registry.name, r.bundle());
      registry.announce(v, "publish");
      System.out.println("published " + v.name() + " v" + v.version() + " -> " + v.dir());
    }
    return 0;
  }
}
