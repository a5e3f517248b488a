package dev.recsys.job;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.rocksdb.CompressionType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The execution settings: RocksDB with incremental checkpoints behind Flink's changelog state
 * backend, checkpointing and restarts.
 */
public final class JobEnvironment {

  private static final Logger LOG = LoggerFactory.getLogger(JobEnvironment.class);

  private JobEnvironment() {}

  /** flink-dstl-dfs's {@code FsStateChangelogOptions.BASE_PATH}, which nothing here compiles against. */
  static final ConfigOption<String> CHANGELOG_BASE_PATH =
      ConfigOptions.key("state.changelog.dstl.dfs.base-path").stringType().noDefaultValue();

  /** flink-dstl-dfs's {@code FsStateChangelogOptions.PREEMPTIVE_PERSIST_THRESHOLD} (Flink's default 5 MB). */
  static final ConfigOption<MemorySize> CHANGELOG_PREEMPTIVE_PERSIST =
      ConfigOptions.key("state.changelog.dstl.dfs.preemptive-persist-threshold").memoryType().noDefaultValue();

  /**
   * Uploads the changelog whenever this much has gathered, so that a checkpoint finds little left
   * to upload: at 5 MB most of a 30 s interval's changes waited for the checkpoint, whose upload
   * then competed with the scorers for the cores (docs/benchmarks.md).
   */
  static final MemorySize PREEMPTIVE_PERSIST = MemorySize.parse("1 mb");

  /** Compression per RocksDB level unless the user sets {@code state.backend.rocksdb.compression.per.level}. */
  static final List<CompressionType> UNCOMPRESSED_TOP_LEVELS =
      List.of(CompressionType.NO_COMPRESSION, CompressionType.NO_COMPRESSION, CompressionType.LZ4_COMPRESSION);

  /**
   * Flink configuration for the job's settings (merged into the cluster's own when submitted).
   *
   * <p>On the embedded cluster ({@code embedded}) the job also turns on the changelog state backend
   * unless {@code state.changelog.*} says otherwise: each checkpoint then uploads the state changes
   * since the last one instead of flushing RocksDB's memtables on the task thread, the pause that
   * was the tail of the latency at moderate load. Its log goes beside the job's checkpoints. A
   * cluster's task managers read the changelog's storage from their own configuration only, so
   * there the cluster decides (the chart and the compose file turn it on).
   */
  public static Configuration configuration(JobConfig c, boolean embedded) {
    Configuration f = Configuration.fromMap(c.flinkProperties());
    if (embedded) {
      unlessSet(f, StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, true);
      unlessSet(f, StateChangelogOptions.STATE_CHANGE_LOG_STORAGE, "filesystem");
      // DSTL writes <base>/<job id>/dstl/: next to that run's chk-<n> directories
      unlessSet(f, CHANGELOG_BASE_PATH, c.checkpointDirectory());
      unlessSet(f, CHANGELOG_PREEMPTIVE_PERSIST, PREEMPTIVE_PERSIST);
    }
    f.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
    unlessSet(f, CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
    // each checkpoint's synchronous part flushes the memtables into new level-0 files on the task
    // thread, and the states (varints, floats) hardly compress: Snappy there only lengthened the
    // pause. The levels below keep their data compressed (Flink's own suggestion for this case).
    unlessSet(f, RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL, UNCOMPRESSED_TOP_LEVELS);
    f.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, c.checkpointDirectory());
    f.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, c.get(JobConfig.CHECKPOINT_INTERVAL));
    f.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, c.get(JobConfig.CHECKPOINT_MODE));
    f.set(
        CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
        c.get(JobConfig.CHECKPOINT_RETAIN)
            ? ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION
            : ExternalizedCheckpointRetention.DELETE_ON_CANCELLATION);
    // bounded: an input that fails the job every time ends as a failed job, not a silent loop
    f.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
    f.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofSeconds(1));
    f.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofMinutes(1));
    f.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, c.get(JobConfig.RESTART_ATTEMPTS));
    f.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_RESET_BACKOFF_THRESHOLD, Duration.ofHours(1));
    f.set(org.apache.flink.configuration.PipelineOptions.NAME, c.get(JobConfig.JOB_NAME));
    return f;
  }

  /**
   * An environment for the job; with {@code restoreFrom} it resumes that checkpoint or savepoint.
   *
   * <p>With the changelog on, a restore claims the snapshot unless {@code
   * execution.state-recovery.claim-mode} is set: the changelog cannot take the full first
   * checkpoint that Flink's default (NO_CLAIM) demands, and every checkpoint after the restore
   * would fail. Claimed, the snapshot belongs to the new run, which deletes it once newer
   * checkpoints replace it.
   */
  public static StreamExecutionEnvironment create(JobConfig c, String restoreFrom) {
    StreamExecutionEnvironment context = StreamExecutionEnvironment.getExecutionEnvironment();
    Configuration f = configuration(c, context instanceof LocalStreamEnvironment);
    if (restoreFrom != null) {
      f.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
      Configuration effective = new Configuration((Configuration) context.getConfiguration());
      effective.addAll(f);
      if (effective.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG) && !effective.contains(StateRecoveryOptions.RESTORE_MODE)) {
        f.set(StateRecoveryOptions.RESTORE_MODE, RecoveryClaimMode.CLAIM);
        LOG.info("restoring {} in CLAIM mode (the changelog state backend's requirement): this run owns it now", restoreFrom);
      }
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(f);
    env.setParallelism(c.get(JobConfig.PARALLELISM));
    env.setBufferTimeout(c.get(JobConfig.BUFFER_TIMEOUT).toMillis());
    // no operator keeps or mutates its input, so chained operators may share records instead of
    // deep-copying them (a recommendation carries 100 items)
    env.getConfig().enableObjectReuse();
    return env;
  }

  /** The job's default for {@code option}: the user's own setting, where there is one, stays. */
  private static <T> void unlessSet(Configuration f, ConfigOption<T> option, T value) {
    if (!f.contains(option)) {
      f.set(option, value);
    }
  }

  /** A bare path becomes an absolute file: URI; URIs pass through. */
  static String checkpointUri(String dir) {
    return dir.contains("://") ? dir : Path.of(dir).toAbsolutePath().toUri().toString();
  }
}
