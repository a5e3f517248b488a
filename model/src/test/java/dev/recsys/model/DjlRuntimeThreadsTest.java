package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A thread that scores without having loaded the engine gets the thread count it asks for. Counted
 * from the kernel: OpenMP's workers are native threads that inherit the name of the thread that
 * starts them, so the threads of that name that were busy during a GEMM are the ones it used.
 */
class DjlRuntimeThreadsTest {

  @Test
  void aScoringThreadOfItsOwnUsesTheIntraOpThreadsItAsksFor() throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/task")) && Runtime.getRuntime().availableProcessors() >= 2,
        "needs Linux's /proc and two cores");
    DjlRuntime.configure();
    assertEquals(1, busyThreadsOfAGemm("gemm-one", 1));
    assertEquals(2, busyThreadsOfAGemm("gemm-two", 2));
  }

  /** Runs matrix products on a new thread for a second; returns how many threads of its name were busy. */
  private static int busyThreadsOfAGemm(String name, int threads) throws Exception {
    AtomicReference<Object> result = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        DjlRuntime.useIntraOpThreads(threads);
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
          NDArray a = m.randomUniform(-1f, 1f, new Shape(256, 600));
          NDArray w = m.randomUniform(-1f, 1f, new Shape(600, 20108));
          a.matMul(w).close(); // starts OpenMP's workers
          Map<Integer, Long> before = cpuTicks(name);
          long t0 = System.nanoTime();
          while (System.nanoTime() - t0 < 1_000_000_000L) {
            a.matMul(w).close();
          }
          long wallTicks = (System.nanoTime() - t0) / 10_000_000; // USER_HZ is 100
          Map<Integer, Long> after = cpuTicks(name);
          result.set(after.entrySet().stream().filter(e -> e.getValue() - before.getOrDefault(e.getKey(), 0L) > wallTicks / 4).count());
        }
      } catch (Throwable e) {
        result.set(e);
      }
    }, name);
    t.start();
    t.join();
    if (result.get() instanceof Throwable e) {
      throw new AssertionError(e);
    }
    return ((Long) result.get()).intValue();
  }

  /** CPU ticks (user + system) of this process's threads named {@code name}, by thread id. */
  private static Map<Integer, Long> cpuTicks(String name) throws IOException {
    Map<Integer, Long> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          if (!Files.readString(task.resolve("comm")).strip().equals(name)) {
            continue;
          }
          String stat = Files.readString(task.resolve("stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          out.put(Integer.parseInt(task.getFileName().toString()), Long.parseLong(f[11]) + Long.parseLong(f[12]));
        } catch (IOException gone) {
          // the thread ended meanwhile
        }
      }
    }
    return out;
  }
}
