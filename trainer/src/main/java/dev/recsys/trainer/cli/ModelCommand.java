package dev.recsys.trainer.cli;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import dev.recsys.trainer.online.MetricsTopic;
import dev.recsys.trainer.online.OnlineComparison;
import dev.recsys.trainer.pytorch.LayerMapping;
import dev.recsys.trainer.pytorch.StateDictImport;
import dev.recsys.trainer.report.Plots;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code recsys model publish|import|list|promote|rollback|shadow|compare}. */
@Command(
    name = "model",
    mixinStandardHelpOptions = true,
    description = "Manage versions in the model registry; publish, promote and rollback announce the new current version. "
        + "shadow scores a candidate beside it, compare shows both on live traffic, promote --if-better promotes the candidate if it wins.",
    subcommands = {ModelCommand.Publish.class, ModelCommand.Import.class, ModelCommand.ListVersions.class, ModelCommand.Promote.class,
        ModelCommand.Rollback.class, ModelCommand.Shadow.class, ModelCommand.Compare.class})
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
  @Command(name = "promote",
      description = {"Make an existing version current (--version N), or the registry's shadow when it beats the live version on live traffic "
          + "(--if-better): when the lower bound of the interval of the shadow - live difference of --metric, on identical events, exceeds "
          + "--margin, with at least --min-events paired events. Otherwise it says why not and changes nothing.",
          "Promoting the shadow ends it: both are announced (promote, end-shadow)."},
      exitCodeListHeading = "Exit codes:%n",
      exitCodeList = {"0:promoted", "1:failed (registry, Kafka)", "2:usage error",
          "3:--if-better did not promote (no shadow, no comparison yet, too few events, or not better by the margin): nothing changed"})
  static final class Promote implements Callable<Integer> {
    static final int NOT_PROMOTED = 3;
    private static final String[] IF_BETTER_OPTIONS = {"--metric", "--confidence", "--metrics-topic", "--margin", "--min-events"};

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @ArgGroup(multiplicity = "1")
    Which which;

    static final class Which {
      @Option(names = "--version", required = true, description = "Version number")
      Integer version;

      @Option(names = "--if-better", required = true, description = "Promote the shadow only if the online metrics say it is better (needs --bootstrap)")
      boolean ifBetter;
    }

    @Option(names = "--margin", defaultValue = "0",
        description = "--if-better: the absolute margin the difference's lower bound must exceed, e.g. 0.005 for half a point of HitRate (default: ${DEFAULT-VALUE})")
    double margin;

    @Option(names = "--min-events", defaultValue = "1000", description = "--if-better: the paired events needed at least (default: ${DEFAULT-VALUE})")
    long minEvents;

    @Mixin OnlineOptions online;

    @Mixin RegistryOptions reg;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      ModelRegistry r = new ModelRegistry(reg.registry);
      if (which.version != null) {
        for (String o : IF_BETTER_OPTIONS) {
          if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
            throw new ParameterException(spec.commandLine(), o + " applies to --if-better only, not to --version");
          }
        }
        promote(r, which.version);
        return 0;
      }
      if (minEvents < 0 || !Double.isFinite(margin)) {
        throw new ParameterException(spec.commandLine(), "--min-events must be 0 or more and --margin a number");
      }
      online.check(spec, reg);
      Optional<ModelRegistry.Version> shadow = r.shadow(reg.name);
      if (shadow.isEmpty()) {
        System.out.println("not promoted: model '" + reg.name + "' has no shadow (model shadow --version N starts one)");
        return NOT_PROMOTED;
      }
      int s = shadow.get().version();
      int live = r.current(reg.name).orElseThrow(() -> new IllegalStateException("model '" + reg.name + "' has no current version")).version();
      MetricsTopic.Snapshot metrics = online.read(spec, reg);
      Optional<ModelMetricsEvent> c = metrics.comparison(s, live);
      if (c.isEmpty()) {
        System.out.println("not promoted: " + metrics.topic() + " has no comparison of shadow v" + s + " against live v" + live
            + " yet (the job reports one per window once the shadow has seen events)");
        return NOT_PROMOTED;
      }
      OnlineComparison.Decision d = OnlineComparison.of(c.get().total(), online.confidence).decide(online.metric, margin, minEvents);
      if (!d.promote()) {
        System.out.println("not promoted: shadow v" + s + " against live v" + live + ": " + d.reason());
        return NOT_PROMOTED;
      }
      // promote only the pair that was judged
      if (r.shadow(reg.name).map(ModelRegistry.Version::version).orElse(-1) != s
          || r.current(reg.name).map(ModelRegistry.Version::version).orElse(-1) != live) {
        System.out.println("not promoted: the registry's shadow or current version changed while the metrics were read; run it again");
        return NOT_PROMOTED;
      }
      System.out.println("shadow v" + s + " beats live v" + live + ": " + d.reason());
      promote(r, s);
      return 0;
    }

    /** Promotes and announces; a promoted shadow has ended, which the job is told too. */
    private void promote(ModelRegistry r, int version) throws Exception {
      Optional<ModelRegistry.Version> shadow = r.shadow(reg.name).filter(v -> v.version() == version);
      ModelRegistry.Version v = r.promote(reg.name, version);
      System.out.println("current " + v.name() + " v" + v.version());
      reg.announce(v, "promote");
      if (shadow.isPresent()) {
        System.out.println("ended shadow " + v.name() + " v" + v.version() + ": it serves now");
        reg.announce(shadow.get(), ModelUpdateEvent.END_SHADOW);
      }
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

  @Command(name = "compare", mixinStandardHelpOptions = true,
      description = {"Show how the live version and the shadow do on identical live traffic, from the job's online metrics: HitRate@10/20/100 "
          + "and NDCG with confidence intervals, the events behind them, the shadow - live difference with its interval (paired on the same "
          + "events), and the shadow's extra scoring cost. Without a comparison, the live version's figures.",
          "The pair: --shadow N's latest comparison; without it the registry's shadow and current version when it has a shadow "
          + "(what promote --if-better judges), else the latest comparison on the topic. The topic is read from its beginning to the end "
          + "it had when the read started."})
  static final class Compare implements Callable<Integer> {
    @Option(names = "--shadow", paramLabel = "N", description = "Show the latest comparison of this shadow version")
    Integer shadow;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw --metric per window over time, with interval bands, as a PNG")
    Path plot;

    @Mixin OnlineOptions online;

    @Mixin RegistryOptions reg;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      online.check(spec, reg);
      ModelRegistry r = new ModelRegistry(reg.registry);
      Optional<Integer> registryShadow = shadow == null ? r.shadow(reg.name).map(ModelRegistry.Version::version) : Optional.empty();
      Optional<Integer> registryLive = r.current(reg.name).map(ModelRegistry.Version::version);
      MetricsTopic.Snapshot m = online.read(spec, reg);
      if (m.records() == 0) {
        System.out.println(m.topic() + " is empty: the job has not reported online metrics yet (it does at the end of each window with events)");
        return 0;
      }
      if (m.events().isEmpty()) {
        System.out.println("no online metrics of model '" + reg.name + "' on " + m.topic() + (m.otherModels().isEmpty() ? "" : " (models there: " + m.otherModels() + ")"));
        return 0;
      }
      Optional<ModelMetricsEvent> c;
      String none;
      if (registryShadow.isPresent() && registryLive.isPresent()) {
        c = m.comparison(registryShadow.get(), registryLive.get());
        none = "no comparison of the registry's shadow v" + registryShadow.get() + " against live v" + registryLive.get() + " on " + m.topic() + " yet";
      } else {
        c = m.latestComparison(shadow);
        none = "no comparison " + (shadow == null ? "" : "of shadow v" + shadow + " ") + "on " + m.topic() + " (no shadow has run, or none has seen events)";
      }
      List<ModelMetricsEvent> windows;
      String title;
      if (c.isPresent()) {
        ModelMetricsEvent e = c.get();
        printComparison(e, m);
        windows = m.comparisonWindows(e.modelVersion(), e.baselineVersion());
        title = reg.name + ": shadow v" + e.modelVersion() + " against live v" + e.baselineVersion() + " on the same events";
      } else {
        Optional<ModelMetricsEvent> live = m.latestLive();
        if (live.isEmpty()) {
          System.out.println(none + ", and no figures of a live version either");
          return 0;
        }
        System.out.println(none + ": the live version alone");
        printLive(live.get());
        windows = m.versionWindows(live.get().modelVersion(), ModelMetricsEvent.LIVE);
        title = reg.name + ": live v" + live.get().modelVersion();
      }
      if (plot != null) {
        var data = Plots.onlineSeries(windows, online.metric, online.z());
        if (data.getSeriesCount() == 0) {
          System.out.println("not plotted: no window with events");
        } else {
          Plots.online(plot, title, data, online.metric.label(), online.percent());
          System.out.println("plotted " + online.metric.label() + " over " + data.getItemCount(0) + " windows: " + plot);
        }
      }
      return 0;
    }

    private void printComparison(ModelMetricsEvent e, MetricsTopic.Snapshot m) {
      OnlineComparison cmp = OnlineComparison.of(e.total(), online.confidence);
      String live = "live v" + e.baselineVersion();
      String shadowV = "shadow v" + e.modelVersion();
      System.out.printf(Locale.ROOT, "%s: %s against %s on the same %,d events, up to %s (%s intervals)%n", reg.name, shadowV, live, cmp.events(),
          Instant.ofEpochMilli(e.windowEnd()), online.percent());
      System.out.printf(Locale.ROOT, "  %-12s %-26s %-26s %s%n", "", live, shadowV, "shadow - live");
      for (OnlineComparison.Metric metric : OnlineComparison.Metric.values()) {
        OnlineComparison.Row row = cmp.row(metric);
        System.out.printf(Locale.ROOT, "  %-12s %-26s %-26s %s%n", metric.label(), row.live().format(false), row.shadow().format(false),
            row.difference().format(true));
      }
      Optional<ModelMetricsEvent.Tally> liveCost = cost(m.version(e.baselineVersion(), ModelMetricsEvent.LIVE));
      Optional<ModelMetricsEvent.Tally> shadowCost = cost(m.version(e.modelVersion(), ModelMetricsEvent.SHADOW));
      String line = "  scoring cost, ms per 1,000 users scored: " + live + " " + costText(liveCost) + ", " + shadowV + " " + costText(shadowCost);
      if (liveCost.isPresent() && shadowCost.isPresent() && msPerThousand(liveCost.get()) > 0) {
        line += String.format(Locale.ROOT, ": the shadow adds %.2fx the live version's time per user it scores",
            msPerThousand(shadowCost.get()) / msPerThousand(liveCost.get()));
      }
      System.out.println(line);
    }

    private void printLive(ModelMetricsEvent e) {
      long n = e.total().events();
      String live = "live v" + e.modelVersion();
      System.out.printf(Locale.ROOT, "%s: %s on %,d events, up to %s (%s intervals)%n", reg.name, live, n, Instant.ofEpochMilli(e.windowEnd()), online.percent());
      System.out.printf(Locale.ROOT, "  %-12s %s%n", "", live);
      for (OnlineComparison.Metric metric : OnlineComparison.Metric.values()) {
        System.out.printf(Locale.ROOT, "  %-12s %s%n", metric.label(), OnlineComparison.estimate(e.total().scores(), n, metric, online.z()).format(false));
      }
      System.out.println("  scoring cost, ms per 1,000 users scored: " + live + " " + costText(cost(Optional.of(e))));
    }

    /** A version record's totals, if they say what scoring cost. */
    private static Optional<ModelMetricsEvent.Tally> cost(Optional<ModelMetricsEvent> e) {
      return e.map(ModelMetricsEvent::total).filter(t -> t.scoredUsers() != null && t.scoredUsers() > 0 && t.scoringMillis() != null);
    }

    private static double msPerThousand(ModelMetricsEvent.Tally t) {
      return 1000 * t.scoringMillis() / t.scoredUsers();
    }

    private static String costText(Optional<ModelMetricsEvent.Tally> t) {
      return t.map(c -> String.format(Locale.ROOT, "%.3f (%,d users)", msPerThousand(c), c.scoredUsers())).orElse("unknown");
    }
  }

  @Command(name = "shadow", description = {
      "Score a version beside the current one on live traffic, for online comparison only: its lists never reach the recommendations topic.",
      "--end stops the comparison; `model compare` shows it; `model promote --if-better` (or --version N) makes the shadow current (and ends it)."})
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
        reg.announce(ended.get(), ModelUpdateEvent.END_SHADOW);
        return 0;
      }
      ModelRegistry.Version v = r.startShadow(reg.name, what.version);
      System.out.println("shadow " + v.name() + " v" + v.version() + " (current: v" + r.current(reg.name).map(ModelRegistry.Version::version).orElseThrow() + ")");
      reg.announce(v, ModelUpdateEvent.SHADOW);
      return 0;
    }
  }
}
