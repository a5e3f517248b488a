package dev.recsys.trainer.cli;

import dev.recsys.model.DjlRuntime;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import dev.recsys.trainer.pytorch.LayerMapping;
import dev.recsys.trainer.pytorch.StateDictImport;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code recsys model publish|import|list|promote|rollback}. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Manage versions in the model registry; publish, promote and rollback announce the new current version.",
    subcommands = {
      ModelCommand.Publish.class, ModelCommand.Import.class, ModelCommand.ListVersions.class, ModelCommand.Promote.class,
      ModelCommand.Rollback.class
    })
public final class ModelCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    new picocli.CommandLine(this).usage(System.out);
    return 0;
  }

  @Command(name = "publish", mixinStandardHelpOptions = true, description = "Verify a bundle, store it as the next version and make it current.")
  static final class Publish implements Callable<Integer> {
    @Parameters(paramLabel = "BUNDLE_DIR", description = "A bundle directory (for example <train --out>/bundle)")
    Path bundle;

    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      ModelRegistry.Version v = new ModelRegistry(reg.registry).publish(reg.name, bundle);
      System.out.println("published " + v.name() + " v" + v.version() + " sha256 " + v.sha256() + " -> " + v.dir());
      reg.announce(v, "publish");
      return 0;
    }
  }

  @Command(
      name = "import",
      mixinStandardHelpOptions = true,
      description = {
        "Make a Mult-VAE or Mult-DAE trained in PyTorch into a bundle that model publish accepts.",
        "Reads its state dict saved as safetensors (safetensors.torch.save_file(model.state_dict(), FILE)), names its tensors by the layer mapping, and infers and verifies the architecture from their shapes."
      })
  static final class Import implements Callable<Integer> {
    @Parameters(paramLabel = "STATE_DICT", description = "The PyTorch state dict, as safetensors (F32)")
    Path stateDict;

    static final class Columns {
      @Option(names = "--items", paramLabel = "FILE", description = "The model's columns: one movieId a line, in column order (the reference code's unique_sid.txt)")
      Path items;

      @Option(names = "--split", paramLabel = "DIR",
          description = "The split the model was trained on, in the reference layout: its unique_sid.txt gives the columns, its train.csv the popularity fallback, and its validation and test users a check of the imported model")
      Path split;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Columns columns;

    @Option(names = "--mapping", paramLabel = "FILE",
        description = "bundle_parameter = state_dict_tensor, one a line (default: q_layers.k/p_layers.k for a Mult-VAE, layers.k for a Mult-DAE; see README)")
    Path mapping;

    @Option(names = "--model", description = "vae or dae: refuse the state dict if its shapes are of the other (default: inferred from the shapes)")
    String model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The bundle directory to write; it must not exist")
    Path out;

    @Option(names = "--publish", description = "Publish the bundle to the registry as a new current version")
    boolean publish;

    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      DjlRuntime.configure();
      SplitData split = columns.split == null ? null : SplitIO.read(columns.split);
      Path itemsSource = split == null ? columns.items : columns.split.resolve(SplitIO.UNIQUE_SID);
      long[] items = split == null ? SplitIO.readMovieIds(columns.items) : split.movieIds();
      ModelBundle b =
          StateDictImport.run(
              new StateDictImport.Options(
                  stateDict, mapping == null ? null : LayerMapping.read(mapping), model == null ? null : ModelType.parse(model), items,
                  itemsSource, split, out));
      System.out.println("imported " + b.architecture() + " (" + b.manifest().hyperParameters().get("mapping") + ") -> " + b.dir() + " sha256 " + b.sha256());
      if (split == null) {
        System.out.println("no --split: the bundle has no popularity list, so users with no known item get no recommendations");
      } else {
        StateDictImport.Evaluation e = StateDictImport.evaluate(b, split, 500);
        System.out.printf("validation NDCG@100 %.4f (%d users); test NDCG@100 %.4f  Recall@20 %.4f  Recall@50 %.4f  (%d users)%n",
            e.validation().ndcg100(), e.validation().users(), e.test().ndcg100(), e.test().recall20(), e.test().recall50(), e.test().users());
      }
      if (publish) {
        ModelRegistry.Version v = new ModelRegistry(reg.registry).publish(reg.name, b.dir());
        System.out.println("published " + v.name() + " v" + v.version() + " sha256 " + v.sha256() + " -> " + v.dir());
        reg.announce(v, "publish");
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List versions; * marks the current one.")
  static final class ListVersions implements Callable<Integer> {
    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      ModelRegistry r = new ModelRegistry(reg.registry);
      List<ModelRegistry.Version> versions = r.list(reg.name);
      if (versions.isEmpty()) {
        System.out.println("no versions of '" + reg.name + "' in " + r.root() + (r.names().isEmpty() ? "" : " (models: " + r.names() + ")"));
        return 0;
      }
      for (ModelRegistry.Version v : versions) {
        System.out.printf("%s v%-4d %-3s %s  %s  %s%n", v.current() ? "*" : " ", v.version(), v.modelType(), v.publishedAt(), v.sha256().substring(0, 12), v.dir());
      }
      return 0;
    }
  }

  // no standard help options: their --version would take the place of the version number's
  @Command(name = "promote", description = "Make an existing version current.")
  static final class Promote implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--version", required = true, description = "Version number")
    int version;

    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      ModelRegistry.Version v = new ModelRegistry(reg.registry).promote(reg.name, version);
      System.out.println("current " + v.name() + " v" + v.version());
      reg.announce(v, "promote");
      return 0;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Return to the version that was current before the current one.")
  static final class Rollback implements Callable<Integer> {
    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      ModelRegistry.Version v = new ModelRegistry(reg.registry).rollback(reg.name);
      System.out.println("rolled back: current " + v.name() + " v" + v.version());
      reg.announce(v, "rollback");
      return 0;
    }
  }
}
