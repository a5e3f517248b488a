package dev.recsys.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the machine under the processes did, sampled every 100 ms: the hypervisor's share of the
 * cores ({@code steal} in {@code /proc/stat}), the time some task waited for I/O ({@code
 * /proc/pressure/io}, Linux's pressure stall information), and how late the sampling thread woke.
 * A stall that shows in one of them came from outside the job's own code: a host that took the
 * VM's cores, a disk that held up writes, or a VM that froze.
 */
final class MachinePressure implements AutoCloseable {

  private static final long EVERY_MS = 100;
  private static final Path STAT = Path.of("/proc/stat");
  private static final Path IO = Path.of("/proc/pressure/io");

  /**
   * One reading: when, the cores' steal and total ticks so far, the microseconds so far in which
   * some task waited for I/O (0 without pressure information), and how far past its 100 ms the
   * sampler woke.
   */
  record Sample(long atMs, long steal, long total, long ioWaitMicros, long lateMs) {}

  private final List<Sample> samples = new ArrayList<>();
  private final Thread sampler;

  /** A sampler not yet started: {@link #start()}, or readings by {@link #add} (tests). */
  MachinePressure() {
    sampler = new Thread(this::run, "machine-pressure");
    sampler.setDaemon(true);
  }

  /** Starts sampling; on a machine without {@code /proc/stat}, nothing is sampled. */
  static MachinePressure start() {
    MachinePressure s = new MachinePressure();
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
        long[] ticks = cpuTicks();
        add(new Sample(now, ticks[0], ticks[1], ioWaitMicros(), Math.max(0, now - expected)));
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
  private static long[] cpuTicks() throws IOException {
    String[] f = Files.readAllLines(STAT).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i <= 8; i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {Long.parseLong(f[8]), total};
  }

  /** The "some" line's total: microseconds in which at least one task waited for I/O. */
  private static long ioWaitMicros() throws IOException {
    if (!Files.isReadable(IO)) {
      return 0;
    }
    String some = Files.readAllLines(IO).get(0);
    return Long.parseLong(some.substring(some.indexOf("total=") + 6).trim());
  }

  /**
   * Over {@code [fromMs, toMs]}: the steal and I/O-wait shares of the whole window and of its worst
   * second, both in the second after {@code aroundMs} (when the slowest list was triggered), and
   * the sampler's latest wake-up.
   */
  String describe(long fromMs, long toMs, long aroundMs) {
    List<Sample> in;
    synchronized (samples) {
      in = samples.stream().filter(s -> s.atMs() >= fromMs && s.atMs() <= toMs).toList();
    }
    if (in.size() < 2) {
      return "machine: not sampled";
    }
    Worst steal = new Worst();
    Worst io = new Worst();
    long late = 0;
    for (int i = 0; i < in.size(); i++) {
      late = Math.max(late, in.get(i).lateMs());
      int j = i;
      while (j + 1 < in.size() && in.get(j).atMs() - in.get(i).atMs() < 1000) {
        j++;
      }
      if (j > i) {
        steal.offer(steal(in.get(i), in.get(j)), in.get(i).atMs());
        io.offer(ioWait(in.get(i), in.get(j)), in.get(i).atMs());
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
    Sample first = in.get(0);
    Sample last = in.get(in.size() - 1);
    return String.format("machine: cores stolen by the host %.1f%% (worst second %s, the slowest list's %.1f%%); some task waiting for I/O "
            + "%.1f%% of the time (worst second %s, the slowest list's %.1f%%); the 100 ms sampler woke at most %d ms late",
        100 * steal(first, last), steal, 100 * steal(a, b), 100 * ioWait(first, last), io, 100 * ioWait(a, b), late);
  }

  /** The largest share seen and when its second began. */
  private static final class Worst {
    double share;
    long atMs;

    void offer(double s, long at) {
      if (atMs == 0 || s > share) {
        share = s;
        atMs = at;
      }
    }

    @Override
    public String toString() {
      return String.format("%.1f%% at %s", 100 * share, java.time.Instant.ofEpochMilli(atMs));
    }
  }

  private static double steal(Sample from, Sample to) {
    long total = to.total() - from.total();
    return total <= 0 ? 0 : (double) (to.steal() - from.steal()) / total;
  }

  private static double ioWait(Sample from, Sample to) {
    long wallMicros = (to.atMs() - from.atMs()) * 1000;
    return wallMicros <= 0 ? 0 : Math.min(1, (double) (to.ioWaitMicros() - from.ioWaitMicros()) / wallMicros);
  }

  @Override
  public void close() {
    sampler.interrupt();
  }
}
