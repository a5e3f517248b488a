package dev.recsys.job;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.client.deployment.executors.PipelineExecutorUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.RpcServiceSharing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Flink of {@code recsys job} run from the command line: a MiniCluster that, like a
 * cluster's resource manager, replaces a task manager that stopped.
 *
 * <p>Flink stops a task manager on a fatal error in a task, for instance when a Kafka writer throws
 * again while its failed task is cleaned up. The MiniCluster that {@code env.execute()} starts
 * never replaces it, so the job would wait for a slot forever in a process that looks alive.
 * Here a watchdog starts a new task manager, and the job recovers from its last checkpoint, within
 * the job's restart strategy.
 */
public final class LocalCluster implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(LocalCluster.class);
  private static final Duration WATCH_EVERY = Duration.ofSeconds(1);
  private static final Duration REGISTRATION_TIMEOUT = Duration.ofMinutes(1);

  private final MiniCluster miniCluster;
  private final int taskManagers;
  private final ScheduledExecutorService watchdog;
  private int replaced;

  private LocalCluster(MiniCluster miniCluster, int taskManagers) {
    this.miniCluster = miniCluster;
    this.taskManagers = taskManagers;
    this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "local-cluster-watchdog");
      t.setDaemon(true);
      return t;
    });
  }

  /** A started cluster with slots for a job of {@code parallelism}, configured as {@code env}. */
  public static LocalCluster start(StreamExecutionEnvironment env, int parallelism) throws Exception {
    Configuration conf = new Configuration((Configuration) env.getConfiguration());
    if (!conf.contains(RestOptions.BIND_PORT)) {
      conf.set(RestOptions.BIND_PORT, "0");
    }
    int taskManagers = conf.get(TaskManagerOptions.MINI_CLUSTER_NUM_TASK_MANAGERS);
    int slots = conf.getOptional(TaskManagerOptions.NUM_TASK_SLOTS)
        .orElse(Math.max(1, (parallelism + taskManagers - 1) / taskManagers));
    MiniCluster mc = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(taskManagers)
        .setNumSlotsPerTaskManager(slots)
        .setRpcServiceSharing(RpcServiceSharing.SHARED)
        .build());
    mc.start();
    LocalCluster cluster = new LocalCluster(mc, taskManagers);
    cluster.awaitConnected();
    cluster.watchdog.scheduleWithFixedDelay(
        cluster::replaceLostTaskManagers, WATCH_EVERY.toMillis(), WATCH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    return cluster;
  }

  /** Runs the job built on {@code env} until it ends; throws if it failed. */
  public JobExecutionResult execute(StreamExecutionEnvironment env) throws Exception {
    StreamGraph graph = PipelineExecutorUtils.getStreamGraph(env.getStreamGraph(), (Configuration) env.getConfiguration());
    JobID id = miniCluster.submitJob(graph).get().getJobID();
    LOG.info("job {} submitted to the local cluster", id);
    JobResult result = miniCluster.requestJobResult(id).get();
    return result.toJobExecutionResult(Thread.currentThread().getContextClassLoader());
  }

  /** Task managers started to replace stopped ones so far. */
  public synchronized int replaced() {
    return replaced;
  }

  MiniCluster miniCluster() {
    return miniCluster;
  }

  private int connected() throws Exception {
    return miniCluster.requestClusterOverview().get(10, TimeUnit.SECONDS).getNumTaskManagersConnected();
  }

  /** Waits for every task manager to register, so that one still registering is not taken as lost. */
  private void awaitConnected() throws Exception {
    long deadline = System.nanoTime() + REGISTRATION_TIMEOUT.toNanos();
    while (connected() < taskManagers) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the local cluster's task managers did not register within " + REGISTRATION_TIMEOUT);
      }
      Thread.sleep(50);
    }
  }

  private synchronized void replaceLostTaskManagers() {
    try {
      int missing = taskManagers - connected();
      if (missing <= 0) {
        return;
      }
      LOG.warn("{} task manager(s) of the local cluster stopped (the error is logged above); starting new ones,"
          + " and the job recovers from its last checkpoint", missing);
      for (int i = 0; i < missing; i++) {
        miniCluster.startTaskManager();
        replaced++;
      }
      awaitConnected();
    } catch (Exception e) {
      // the cluster is shutting down, or busy: look again at the next tick
      LOG.debug("local cluster watchdog", e);
    }
  }

  @Override
  public void close() throws Exception {
    watchdog.shutdownNow();
    miniCluster.close();
  }
}
