package dev.recsys.job;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.client.JobCancellationException;
import org.apache.flink.util.ExceptionUtils;

/** Stopping a job that was started with {@code executeAsync}. */
public final class Jobs {

  private Jobs() {}

  /**
   * Cancels the job and returns once it has stopped. {@link JobClient#cancel()} completes when the
   * cluster has accepted the request, while the job's tasks may still be writing a checkpoint into
   * a directory the caller is about to read or delete.
   *
   * @throws ExecutionException if the job had failed for another reason before it was cancelled
   */
  public static void cancel(JobClient job, Duration timeout) throws Exception {
    job.cancel().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (ExceptionUtils.findThrowable(e, JobCancellationException.class).isEmpty()) {
        throw e;
      }
    }
  }
}
