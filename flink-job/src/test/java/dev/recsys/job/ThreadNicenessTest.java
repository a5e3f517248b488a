package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX)
class ThreadNicenessTest {

  @Test
  void aThreadLowersItsOwnPriorityAndNoOtherThreads() throws Exception {
    int mine = ThreadNiceness.get();
    AtomicInteger before = new AtomicInteger(-1);
    AtomicInteger after = new AtomicInteger(-1);
    Thread t = new Thread(() -> {
      try {
        before.set(ThreadNiceness.get());
        ThreadNiceness.set(mine + 7);
        after.set(ThreadNiceness.get());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    t.start();
    t.join();

    assertThat(before.get()).isEqualTo(mine);
    assertThat(after.get()).isEqualTo(mine + 7);
    assertThat(ThreadNiceness.get()).as("the calling thread's own").isEqualTo(mine);
  }
}
