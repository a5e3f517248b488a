package dev.recsys.trainer.cli;

import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code recsys model publish|list|promote|rollback|shadow}. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Manage versions in the model registry; publish, promote and rollback announce the new current version.",
    subcommands = {ModelCommand.Publish.class, ModelCommand.ListVersions.class, ModelCommand.Promote.class, ModelCommand.Rollback.class,
        ModelCommand.Shadow.class})
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

  @Command(name = "shadow", description = {
      "Score a version beside the current one on live traffic, for online comparison only: its lists never reach the recommendations topic.",
      "--end stops the comparison; `model promote --version N` makes the shadow current (and ends it)."})
  static final class Shadow implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @picocli.CommandLine.ArgGroup(multiplicity = "1")
    What what;

    static final class What {
      @Option(names = "--version", required = true, description = "The version to shadow")
      Integer version;

      @Option(names = "--end", required = true, description = "End the running shadow")
      boolean end;
    }

    @Mixin RegistryOptions reg;

    @Override
    public Integer call() throws Exception {
      ModelRegistry r = new ModelRegistry(reg.registry);
      if (what.end) {
        java.util.Optional<ModelRegistry.Version> ended = r.endShadow(reg.name);
        if (ended.isEmpty()) {
          System.out.println("model '" + reg.name + "' has no shadow");
          return 0;
        }
        System.out.println("ended shadow " + reg.name + " v" + ended.get().version());
        reg.announce(ended.get(), dev.recsys.contracts.ModelUpdateEvent.END_SHADOW);
        return 0;
      }
      ModelRegistry.Version v = r.startShadow(reg.name, what.version);
      System.out.println("shadow " + v.name() + " v" + v.version() + " (current: v" + r.current(reg.name).map(ModelRegistry.Version::version).orElseThrow() + ")");
      reg.announce(v, dev.recsys.contracts.ModelUpdateEvent.SHADOW);
      return 0;
    }
  }
}
