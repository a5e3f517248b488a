package dev.recsys.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the machine under the processes did, sampled every 100 ms: the hypervisor's share of the
 * cores ({@code steal} in {@code /proc/stat}) and how late the sampling thread woke. A stall that
 * shows in either came from outside the job, the broker and the clients: a VM whose host took its
 * cores, or that froze outright.
 */
final class StolenTime implements AutoCloseable {

  private static final long EVERY_MS = 100;
  private static final Path STAT = Path.of("/proc/stat");

  /** One reading: when, the cores' steal and total ticks so far, and how far past its 100 ms the sampler woke. */
  record Sample(long atMs, long steal, long total, long lateMs) {}

  private final List<Sample> samples = new ArrayList<>();
  private final Thread sampler;

  /** A sampler not yet started: {@link #start()}, or readings by {@link #add} (tests). */
  StolenTime() {
    sampler = new Thread(this::run, "stolen-time");
    sampler.setDaemon(true);
  }

  /** Starts sampling; on a machine without {@code /proc/stat}, nothing is sampled. */
  static StolenTime start() {
    StolenTime s = new StolenTime();
    if (Files.isReadable(STAT)) {
      s.sampler.start();
    }
    return s;
  }

  private void run() {
    long expected = System.currentTimeMillis();
    try {
      while (true) {
        long now = System.currentTimeMillis();
        long[] ticks = read();
        add(new Sample(now, ticks[0], ticks[1], Math.max(0, now - expected)));
        expected = now + EVERY_MS;
        Thread.sleep(EVERY_MS);
      }
    } catch (InterruptedException | IOException e) {
      // closed, or /proc went away
    }
  }

  void add(Sample s) {
    synchronized (samples) {
      samples.add(s);
    }
  }

  /** The cpu line's steal and the sum of user, nice, system, idle, iowait, irq, softirq and steal. */
  private static long[] read() throws IOException {
    String[] f = Files.readAllLines(STAT).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i <= 8; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {Long.parseLong(f[8]), total};
  }

  /**
   * Over {@code [fromMs, toMs]}: the steal share of the whole window and of its worst second, the
   * steal in the second after {@code aroundMs} (when the slowest list was triggered), and the
   * sampler's latest wake-up.
   */
  String describe(long fromMs, long toMs, long aroundMs) {
    List<Sample> in;
    synchronized (samples) {
      in = samples.stream().filter(s -> s.atMs() >= fromMs && s.atMs() <= toMs).toList();
    }
    if (in.size() < 2) {
      return "machine: not sampled";
    }
    double worst = 0;
    long worstAt = in.get(0).atMs();
    long late = 0;
    for (int i = 0; i < in.size(); i++) {
      late = Math.max(late, in.get(i).lateMs());
      int j = i;
      while (j + 1 < in.size() && in.get(j).atMs() - in.get(i).atMs() < 1000) {
        j++;
      }
      double s = share(in.get(i), in.get(j));
      if (j > i && s > worst) {
        worst = s;
        worstAt = in.get(i).atMs();
      }
    }
    Sample a = in.get(0);
    for (Sample s : in) {
      if (s.atMs() <= aroundMs) {
        a = s;
      }
    }
    Sample b = a;
    for (Sample s : in) {
      if (s.atMs() > a.atMs() && s.atMs() - a.atMs() <= 1000) {
        b = s;
      }
    }
    return String.format("machine: %.1f%% of the cores stolen by the host (worst second %.1f%%, at %s; the slowest list's second %.1f%%); "
            + "the 100 ms sampler woke at most %d ms late", 100 * share(in.get(0), in.get(in.size() - 1)), 100 * worst,
        java.time.Instant.ofEpochMilli(worstAt), 100 * share(a, b), late);
  }

  private static double share(Sample from, Sample to) {
    long total = to.total() - from.total();
    return total <= 0 ? 0 : (double) (to.steal() - from.steal()) / total;
  }

  @Override
  public void close() {
    sampler.interrupt();
  }
}
