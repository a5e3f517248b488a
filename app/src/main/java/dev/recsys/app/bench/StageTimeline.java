package dev.recsys.app.bench;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job process's CPU by stage ({@link ProcessCpu#byStage}), with the broker's and this load
 * client's, read every second while a load runs, to say what was busy in the seconds whose lists
 * came late: a stage that takes far more of the cores then than on average (the JIT compiler
 * recompiling, the broker) is the stall's likely cause.
 */
final class StageTimeline implements AutoCloseable {

  private static final long EVERY_MS = 1000;
  private static final String BROKER = "broker (its process)";
  private static final String CLIENTS = "load clients (the harness)";

  /** One reading: when, and each stage's CPU seconds so far. */
  record Sample(long atMs, Map<String, Double> seconds) {}

  private final List<Sample> samples = new ArrayList<>();
  private final Thread sampler;

  /** A timeline not yet sampling: {@link #watch}, or readings by {@link #add} (tests). */
  StageTimeline() {
    sampler = null;
  }

  private StageTimeline(long job, long broker) {
    long self = ProcessHandle.current().pid();
    sampler = new Thread(() -> {
      try {
        while (true) {
          Map<String, Double> seconds = new TreeMap<>(ProcessCpu.byStage(job));
          seconds.put(BROKER, ProcessCpu.seconds(broker));
          seconds.put(CLIENTS, ProcessCpu.seconds(self));
          add(new Sample(System.currentTimeMillis(), seconds));
          Thread.sleep(EVERY_MS);
        }
      } catch (InterruptedException | IOException e) {
        // closed, or the process ended
      }
    }, "stage-timeline");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Samples the job's and the broker's processes, and this one, until closed. */
  static StageTimeline watch(long job, long broker) {
    return new StageTimeline(job, broker);
  }

  void add(Sample s) {
    synchronized (samples) {
      samples.add(s);
    }
  }

  /**
   * For each of {@code seconds} (epoch seconds in which late lists were triggered, worst first): the
   * stages that used the most cores more than their average over {@code [fromMs, toMs]}, in the
   * two seconds from its start, when what made its lists late was running.
   */
  String describe(long fromMs, long toMs, List<Long> seconds) {
    List<Sample> in;
    synchronized (samples) {
      in = List.copyOf(samples);
    }
    Map<String, Double> mean = cores(in, fromMs, toMs);
    if (mean == null || seconds.isEmpty()) {
      return "stages: not sampled";
    }
    StringBuilder b = new StringBuilder("stages above their average (cores) in the two seconds from each of the worst:");
    for (long s : seconds) {
      Map<String, Double> then = cores(in, s * 1000, s * 1000 + 2000);
      b.append(' ').append(Instant.ofEpochSecond(s)).append(':');
      if (then == null) {
        b.append(" not sampled;");
        continue;
      }
      List<String> above = then.keySet().stream()
          .filter(k -> then.get(k) - mean.getOrDefault(k, 0.0) >= 0.05)
          .sorted(Comparator.comparingDouble((String k) -> mean.getOrDefault(k, 0.0) - then.get(k)))
          .limit(3).toList();
      if (above.isEmpty()) {
        b.append(" none;");
      }
      for (String k : above) {
        b.append(String.format(" %s %.2f (average %.2f);", k, then.get(k), mean.getOrDefault(k, 0.0)));
      }
    }
    b.setLength(b.length() - 1);
    return b.toString();
  }

  /** Cores each stage used between the first sample at or after {@code fromMs} and the last at or before {@code toMs}; null with fewer than two. */
  private static Map<String, Double> cores(List<Sample> in, long fromMs, long toMs) {
    Sample a = null;
    Sample b = null;
    for (Sample s : in) {
      if (s.atMs() >= fromMs && a == null) {
        a = s;
      }
      if (s.atMs() <= toMs) {
        b = s;
      }
    }
    if (a == null || b == null || b.atMs() <= a.atMs()) {
      return null;
    }
    double wall = (b.atMs() - a.atMs()) / 1000.0;
    Map<String, Double> out = new TreeMap<>();
    for (Map.Entry<String, Double> e : ProcessCpu.minus(b.seconds(), a.seconds()).entrySet()) {
      out.put(e.getKey(), e.getValue() / wall);
    }
    return out;
  }

  @Override
  public void close() {
    if (sampler != null) {
      sampler.interrupt();
    }
  }
}
