package dev.recsys.job;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recsys job}: runs the streaming job, on a local embedded Flink when started from the
 * command line, or on the cluster when the jar is submitted with {@code flink run}.
 */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    description = {"Run the streaming recommender: ratings in, exactly-once top-K out, hot model swaps."},
    modelTransformer = JobCommand.SettingsFooter.class)
public final class JobCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(JobCommand.class);

  @Option(names = "--config", description = "A properties file with settings")
  Path configFile;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a setting: --set batch.size=128 (repeatable; unknown keys are refused)")
  Map<String, String> overrides = Map.of();

  @Option(names = "-D", paramLabel = "KEY=VALUE",
      description = "A setting, or any Flink configuration key for the local run, as flink run -D: -Dbatch.size=128, -Dmetrics.reporter.prom.port=9249 (repeatable)")
  Map<String, String> properties = Map.of();

  @Option(names = "--bootstrap", description = "Same as --set kafka.bootstrap=...")
  String bootstrap;

  @Option(names = "--registry", description = "Same as --set registry.root=...")
  String registry;

  @Option(names = "--model-name", description = "Same as --set model.name=...")
  String modelName;

  @Option(names = "--checkpoint-dir", description = "Same as --set checkpoint.dir=...")
  String checkpointDir;

  @Option(names = "--parallelism", description = "Same as --set parallelism=...")
  Integer parallelism;

  @Option(names = "--restore", description = "Resume from this checkpoint or savepoint path")
  String restore;

  @Option(names = "--restore-latest", paramLabel = "DIR",
      description = "Resume from this job's newest complete checkpoint under DIR (DIR/<job.name>/...) if there is one (for restarts without HA), else start empty")
  String restoreLatest;

  @Option(names = "--client-config", paramLabel = "FILE",
      description = "Kafka client properties for every client of the job (security settings: secrets stay out of argv), as Kafka's --command-config")
  Path clientConfig;

  @Option(names = "--job-name", description = "Same as --set job.name=...")
  String jobName;

  /** Shows every setting with its default under --help, straight from {@link JobConfig}. */
  public static final class SettingsFooter implements picocli.CommandLine.IModelTransformer {
    @Override
    public picocli.CommandLine.Model.CommandSpec transform(picocli.CommandLine.Model.CommandSpec spec) {
      spec.usageMessage().footerHeading("%nSettings (--config FILE and --set key=value; defaults shown):%n");
      spec.usageMessage().footer(JobConfig.describe().replace("%", "%%"));
      return spec;
    }
  }

  @Override
  public Integer call() throws Exception {
    JobConfig c = config(clusterConfiguration());
    LOG.info("job settings: {}", c.effective());
    try (RunLock lock = RunLock.take(c)) {
      StreamExecutionEnvironment env = JobEnvironment.create(c, restorePath(c.get(JobConfig.JOB_NAME)));
      RecommenderJob.build(c, KafkaIO.ratings(env, c), KafkaIO.modelUpdates(env, c), KafkaIO.recommendations(c), KafkaIO.modelMetrics(c),
          KafkaIO.deadLetters(c));
      if (env instanceof LocalStreamEnvironment) {
        try (LocalCluster cluster = LocalCluster.start(env, env.getParallelism())) {
          cluster.execute(env);
        }
      } else {
        env.execute(c.get(JobConfig.JOB_NAME));
      }
    }
    return 0;
  }

  /**
   * What to resume from: --restore, else the newest checkpoint of the job named {@code jobName}
   * under --restore-latest (never another job's), else nothing.
   */
  String restorePath(String jobName) {
    if (restore != null || restoreLatest == null) {
      return restore;
    }
    String scoped = (restoreLatest.endsWith("/") ? restoreLatest : restoreLatest + "/") + jobName;
    String found = RetainedCheckpoints.latest(scoped).map(p -> p.toUri().toString()).orElse(null);
    if (found == null) {
      LOG.info("no complete checkpoint under {}: starting empty", scoped);
    } else {
      LOG.info("resuming from {}", found);
    }
    return found;
  }

  /**
   * The Flink configuration this run was started with: on a cluster, the cluster's (the operator's
   * flinkConfiguration, flink-conf, {@code flink run -D}); locally, empty.
   */
  private static Configuration clusterConfiguration() {
    return Configuration.fromMap(((Configuration) StreamExecutionEnvironment.getExecutionEnvironment().getConfiguration()).toMap());
  }

  /** The settings with only these options (tests, tools). */
  public JobConfig config() throws Exception {
    return config(new Configuration());
  }

  /**
   * The settings: the cluster's Flink configuration, then the file, then --set / -D, then the
   * dedicated flags; checked before anything starts.
   */
  public JobConfig config(Configuration cluster) throws Exception {
    JobConfig c = JobConfig.from(cluster);
    if (configFile != null) {
      c.load(configFile);
    }
    if (clientConfig != null) {
      c.loadClientProperties(clientConfig);
    }
    properties.forEach((k, v) -> {
      if (JobConfig.isSetting(k)) {
        c.set(k, v);
      } else {
        c.setFlinkProperty(k, v);
      }
    });
    overrides.forEach(c::set);
    if (bootstrap != null) {
      c.set(JobConfig.BOOTSTRAP, bootstrap);
    }
    if (registry != null) {
      c.set(JobConfig.REGISTRY, registry);
    }
    if (modelName != null) {
      c.set(JobConfig.MODEL_NAME, modelName);
    }
    if (jobName != null) {
      c.set(JobConfig.JOB_NAME.key(), jobName);
    }
    if (checkpointDir != null) {
      c.set(JobConfig.CHECKPOINT_DIR, checkpointDir);
    }
    if (parallelism != null) {
      c.set(JobConfig.PARALLELISM, parallelism);
    }
    return c.validate();
  }

  /** Entry point for {@code flink run -c dev.recsys.job.JobCommand recsys-flink-job.jar [options]}. */
  public static void main(String[] args) {
    int code = new picocli.CommandLine(new JobCommand()).execute(args);
    if (code != 0) {
      throw new IllegalStateException("job exited with " + code);
    }
  }
}
