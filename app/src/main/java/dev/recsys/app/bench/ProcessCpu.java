package dev.recsys.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time from {@code /proc}: of a whole process, and of a job process's threads grouped by the
 * stage they work for (a thread's name tells: Flink names task threads after their operators).
 */
final class ProcessCpu {

  /** USER_HZ: {@code /proc} counts CPU time in these ticks on Linux. */
  private static final double TICKS_PER_SECOND = 100.0;

  /** The JIT compiler threads' stage. */
  static final String JIT = "8 JIT compiler";

  private ProcessCpu() {}

  /** CPU seconds (user + system) a process has used so far. */
  static double seconds(long pid) throws IOException {
    return ticks(Path.of("/proc", Long.toString(pid), "stat")) / TICKS_PER_SECOND;
  }

  /** CPU seconds so far per stage of a job process's threads. */
  static Map<String, Double> byStage(long pid) throws IOException {
    Map<String, Double> out = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : tasks.toList()) {
        try {
          String comm = Files.readString(t.resolve("comm")).trim();
          out.merge(stage(comm), ticks(t.resolve("stat")) / TICKS_PER_SECOND, Double::sum);
        } catch (IOException gone) {
          // the thread ended between listing and reading
        }
      }
    }
    return out;
  }

  /** The difference of two {@link #byStage} readings. */
  static Map<String, Double> minus(Map<String, Double> after, Map<String, Double> before) {
    Map<String, Double> out = new LinkedHashMap<>();
    after.forEach((k, v) -> out.put(k, v - before.getOrDefault(k, 0.0)));
    return out;
  }

  /** Which stage a thread works for, by its (15-character) Linux name. */
  static String stage(String comm) {
    if (comm.startsWith("Source: ratings")) {
      return "1 read + parse ratings (task thread)";
    }
    if (comm.startsWith("Source Data Fet")) {
      return "2 Kafka source fetchers";
    }
    if (comm.startsWith("score users in")) {
      return "3 history, queue, emit + encode (task thread)";
    }
    if (comm.startsWith("recsys-scorer")) {
      return "4 scoring: forward pass (scorer + its PyTorch threads)";
    }
    if (comm.startsWith("ForkJoinPool")) {
      return "5 scoring: top-K (fork-join pool)";
    }
    if (comm.startsWith("kafka-producer")) {
      return "6 Kafka producer I/O";
    }
    if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
      return "7 garbage collection";
    }
    if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
      return JIT;
    }
    return "9 other (Flink runtime, RocksDB, checkpoints, model updates)";
  }

  private static long ticks(Path stat) throws IOException {
    String s = Files.readString(stat);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" "); // f[0] is field 3 (state)
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
  }
}
