package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;

class JobsTest {

  private static final AtomicBoolean OPENED = new AtomicBoolean();
  private static final AtomicBoolean CLOSED = new AtomicBoolean();

  /** A task that takes a second to stop, as one finishing a checkpoint file does. */
  static final class SlowToClose extends RichMapFunction<Long, Long> {
    @Override
    public void open(OpenContext context) {
      OPENED.set(true);
    }

    @Override
    public Long map(Long value) {
      return value;
    }

    @Override
    public void close() {
      long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < until) {
        Thread.onSpinWait(); // the task thread is interrupted, so no sleep
      }
      CLOSED.set(true);
    }
  }

  @Test
  void cancelReturnsOnlyOnceTheTasksHaveStopped() throws Exception {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(1);
    env.fromSequence(0, Long.MAX_VALUE).map(new SlowToClose()).sinkTo(new DiscardingSink<>());
    JobClient job = env.executeAsync("slow to close");
    while (!OPENED.get()) {
      Thread.sleep(10);
    }

    Jobs.cancel(job, Duration.ofMinutes(1));

    assertThat(CLOSED).as("the task had closed when cancel returned").isTrue();
  }
}
