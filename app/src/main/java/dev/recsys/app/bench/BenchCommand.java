package dev.recsys.app.bench;

import ai.djl.Device;
import dev.recsys.model.Architecture;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.nn.MultAutoencoderBlock;
import dev.recsys.model.nn.SparseBatch;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import dev.recsys.model.scoring.UserQuery;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.TrainConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recsys bench}: the performance harnesses behind docs/benchmarks.md. Each prints a short
 * report; none of them is part of the test suite.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Performance harnesses (results go in docs/benchmarks.md).",
    subcommands = {BenchCommand.Gemm.class, BenchCommand.TrainStep.class, BenchCommand.Preprocess.class, BenchCommand.Score.class, TwoStageBench.class, JobBench.class, FaultBench.class})
public final class BenchCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    new picocli.CommandLine(this).usage(System.out);
    return 0;
  }

  /** Users with ML-20M's long-tailed history lengths (mean about 70 positives) over Zipf-popular items. */
  static List<int[]> users(int count, int items, SplittableRandom rnd) {
    double[] cdf = new double[items];
    double s = 0;
    for (int i = 0; i < items; i++) {
      s += 1.0 / Math.pow(i + 1, 0.9);
      cdf[i] = s;
    }
    List<int[]> out = new ArrayList<>(count);
    for (int u = 0; u < count; u++) {
      int n = (int) Math.max(5, Math.min(items / 4, Math.exp(Math.log(70) - 0.5 + rnd.nextGaussian())));
      out.add(java.util.stream.IntStream.generate(() -> {
        int i = Arrays.binarySearch(cdf, rnd.nextDouble() * cdf[items - 1]);
        return i < 0 ? -i - 1 : i;
      }).distinct().limit(n).toArray());
    }
    return out;
  }

  static String cpu() {
    return JobBench.machine() + ", " + java.time.LocalDate.now();
  }

  /** Peak resident memory of this process (Java heap, libtorch's tensors and everything else), from /proc. */
  static String peakResident() {
    try {
      return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
          .map(l -> "peak resident " + (Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10) + " MB").findFirst().orElse("");
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Command(name = "gemm", mixinStandardHelpOptions = true,
      description = "libtorch's fp32 GEMM of the decoder's shape ([batch x 600] . [600 x items]): the ceiling scoring and training work against.")
  static final class Gemm implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "20108") int items;
    @Option(names = "--batch", defaultValue = "256") int batch;
    @Option(names = "--threads", defaultValue = "2", description = "PyTorch threads (one value per process: rerun for another)") int threads;
    @Option(names = "--seconds", defaultValue = "5") int seconds;
    @Option(names = "--layout", defaultValue = "IN_OUT",
        description = "How the decoder's weight is held: IN_OUT ([600 x items], serving's) or OUT_IN ([items x 600], training's, used transposed)")
    MultAutoencoderBlock.DecoderLayout layout;

    @Override
    public Integer call() {
      DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
      try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(Device.cpu())) {
        ai.djl.ndarray.NDArray a = m.randomUniform(-1f, 1f, new ai.djl.ndarray.types.Shape(batch, 600));
        ai.djl.ndarray.NDArray w = layout == MultAutoencoderBlock.DecoderLayout.IN_OUT
            ? m.randomUniform(-1f, 1f, new ai.djl.ndarray.types.Shape(600, items))
            : m.randomUniform(-1f, 1f, new ai.djl.ndarray.types.Shape(items, 600)).transpose();
        for (int i = 0; i < 5; i++) {
          a.matMul(w).close();
        }
        long n = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < seconds * 1_000_000_000L) {
          a.matMul(w).close();
          n++;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        double gflops = 2.0 * batch * 600 * items * n / s / 1e9;
        System.out.printf("gemm [%d x 600] . [600 x %d] (%s), fp32, %d PyTorch threads, %s: %.1f GFLOP/s (%.2f ms each)%n",
            batch, items, layout, threads, cpu(), gflops, s * 1000 / n);
      }
      return 0;
    }
  }

  @Command(name = "train-step", mixinStandardHelpOptions = true, description = "Time one Mult-VAE/DAE training step on an ML-20M-shaped batch.")
  static final class TrainStep implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "20108") int items;
    @Option(names = "--batch", defaultValue = "500") int batch;
    @Option(names = "--model", defaultValue = "vae") String model;
    @Option(names = "--steps", defaultValue = "10") int steps;
    @Option(names = "--threads", defaultValue = "2") int threads;

    @Override
    public Integer call() {
      DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
      System.out.printf("train step: %s, %d items, batch %d, %s%n", model, items, batch, cpu());
      TrainConfig cfg = TrainConfig.builder(ModelType.parse(model)).batchSize(batch).build();
      try (AutoencoderTrainer t = new AutoencoderTrainer(cfg, items, Device.cpu())) {
        SplittableRandom rnd = new SplittableRandom(1);
        List<List<int[]>> batches = new ArrayList<>();
        for (int b = 0; b < steps + 3; b++) {
          batches.add(users(batch, items, rnd));
        }
        double[] ms = new double[steps];
        for (int b = 0; b < steps + 3; b++) {
          long t0 = System.nanoTime();
          t.step(batches.get(b));
          if (b >= 3) { // 3 warm-up steps
            ms[b - 3] = (System.nanoTime() - t0) / 1e6;
          }
        }
        Arrays.sort(ms);
        System.out.printf("  mean %.0f ms, median %.0f ms, min %.0f ms per step; %s%n",
            Arrays.stream(ms).average().orElse(0), ms[ms.length / 2], ms[0], peakResident());
      }
      return 0;
    }
  }

  @Command(name = "preprocess", mixinStandardHelpOptions = true, description = "Time parsing and the paper's preprocessing of a ratings file; report peak heap.")
  static final class Preprocess implements Callable<Integer> {
    @Option(names = "--ratings", required = true) Path ratings;
    @Option(names = "--held-out-users", defaultValue = "10000") int heldOut;

    @Override
    public Integer call() throws Exception {
      System.gc();
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        p.resetPeakUsage();
      }
      long t0 = System.nanoTime();
      Preprocessor.Result r = Preprocessor.run(ratings, Preprocessor.Options.paper(heldOut, 98765), false);
      double seconds = (System.nanoTime() - t0) / 1e9;
      long peak = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
          .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
      System.out.printf("preprocess %s (%,d bytes), %s, max heap %d MB%n", ratings, Files.size(ratings), cpu(), Runtime.getRuntime().maxMemory() >> 20);
      System.out.printf("  %,d ratings, %,d positives, %,d users kept; parse %.1f s + split %.1f s = %.1f s; peak heap %d MB%n",
          r.stats().ratings(), r.stats().positives(), r.stats().keptUsers(), r.stats().parseMillis() / 1e3, r.stats().splitMillis() / 1e3,
          seconds, peak >> 20);
      System.out.println("  " + r.split().describe());
      return 0;
    }
  }

  @Command(name = "score", mixinStandardHelpOptions = true, description = "Scorer throughput on an ML-20M-size random model, by batch size.")
  static final class Score implements Callable<Integer> {
    @Option(names = "--items", defaultValue = "20108") int items;
    @Option(names = "--threads", defaultValue = "2") int threads;
    @Option(names = "--batches", split = ",", defaultValue = "1,4,8,16,32,64,128,256,512",
        description = "Batch sizes to time (default: ${DEFAULT-VALUE}); a job at moderate load forms batches of 4-32")
    int[] batches;
    @Option(names = "--warmup-seconds", defaultValue = "10",
        description = "Scoring every batch size in turn before timing, so the JIT has compiled each path (default: ${DEFAULT-VALUE})")
    int warmupSeconds;
    @Option(names = "--seconds", defaultValue = "10", description = "Timed seconds, shared by the batch sizes and rounds (default: ${DEFAULT-VALUE})")
    int seconds;
    @Option(names = "--rounds", defaultValue = "3",
        description = "Rounds over the batch sizes; each size reports its median round, so a slow moment of a shared VM moves one round (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--vector-api", defaultValue = "true", arity = "1",
        description = "The output layer through the Vector API where this JVM has its module (as scoring.vector-api); false: libtorch's (default: true)")
    boolean vectorApi;

    @Override
    public Integer call() throws Exception {
      if (batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1) || rounds < 1 || seconds < 1 || warmupSeconds < 0) {
        throw new IllegalArgumentException("--batches must be positive, --rounds and --seconds at least 1, --warmup-seconds at least 0");
      }
      DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
      Path dir = Files.createTempDirectory("bench-bundle").resolve("b");
      long[] movies = LongStream.rangeClosed(1, items).toArray();
      ModelBundle bundle = RandomBundle.write(dir, Architecture.paperVae(items), movies, 1);
      try (Scorer scorer = Scorer.open(bundle, Device.cpu(), ScoringMode.EXACT, vectorApi)) {
        System.out.printf("scorer: Mult-VAE %d-600-200-600-%d, top-100, %d torch threads, output layer on %s, %s%n", items, items, threads,
            scorer.outputLayerEngine(), cpu());
        SplittableRandom rnd = new SplittableRandom(2);
        List<List<UserQuery>> queries = new ArrayList<>();
        List<SparseBatch> raw = new ArrayList<>();
        for (int batch : batches) {
          List<UserQuery> q = new ArrayList<>();
          List<int[]> rows = new ArrayList<>();
          for (int[] u : users(batch, items, rnd)) {
            q.add(UserQuery.ofItems(Arrays.stream(u).mapToLong(i -> i + 1).toArray()));
            rows.add(Arrays.stream(u).map(i -> bundle.vocabulary().indexOf(i + 1L)).toArray());
          }
          queries.add(q);
          raw.add(SparseBatch.of(rows));
        }
        long w0 = System.nanoTime();
        int passes = 0;
        while (System.nanoTime() - w0 < warmupSeconds * 1_000_000_000L || passes == 0) {
          for (List<UserQuery> q : queries) {
            scorer.score(q, 100);
          }
          passes++;
        }
        System.out.printf("  warm-up: %d pass(es) over the batch sizes in %.1f s%n", passes, (System.nanoTime() - w0) / 1e9);
        long slice = seconds * 1_000_000_000L / (2L * rounds * batches.length); // half scoring, half the forward pass alone
        double[][] perBatch = new double[batches.length][rounds];
        double[][] forward = new double[batches.length][rounds];
        for (int r = 0; r < rounds; r++) {
          for (int b = 0; b < batches.length; b++) {
            List<UserQuery> q = queries.get(b);
            perBatch[b][r] = timed(slice, () -> scorer.score(q, 100));
            SparseBatch sb = raw.get(b);
            forward[b][r] = timed(slice, () -> scorer.forward(sb));
          }
        }
        for (int b = 0; b < batches.length; b++) {
          double ms = JobBench.median(perBatch[b]);
          System.out.printf("  batch %4d: %8.2f ms per batch, %6.2f ms per user (forward pass alone %.2f), %6.0f users/s%n",
              batches[b], ms, ms / batches[b], JobBench.median(forward[b]) / batches[b], batches[b] * 1000 / ms);
        }
        System.out.println("  " + costLine(batches, perBatch));
      }
      System.out.println("  " + peakResident());
      return 0;
    }

    /** Milliseconds per call of {@code f}, called for about {@code nanos} (at least once). */
    private static double timed(long nanos, Runnable f) {
      long t0 = System.nanoTime();
      int n = 0;
      do {
        f.run();
        n++;
      } while (System.nanoTime() - t0 < nanos);
      return (System.nanoTime() - t0) / 1e6 / n;
    }

    /**
     * A batch's cost as fixed + per-user milliseconds, least squares over the batch sizes up to
     * 256: the fixed part is what a small batch pays per user over a full one.
     */
    static String costLine(int[] batches, double[][] perBatch) {
      List<double[]> points = new ArrayList<>();
      for (int b = 0; b < batches.length; b++) {
        if (batches[b] <= 256) {
          points.add(new double[] {batches[b], JobBench.median(perBatch[b])});
        }
      }
      if (points.stream().mapToDouble(p -> p[0]).distinct().count() < 2) {
        return "cost per batch: needs two batch sizes up to 256";
      }
      double[] fit = line(points);
      return String.format("cost per batch, fitted over the sizes up to 256: %.2f ms + %.3f ms per user", fit[0], fit[1]);
    }

    /** The least-squares line through {@code (x, y)} points: {intercept, slope}. */
    static double[] line(List<double[]> points) {
      double n = points.size();
      double mx = points.stream().mapToDouble(p -> p[0]).sum() / n;
      double my = points.stream().mapToDouble(p -> p[1]).sum() / n;
      double sxy = points.stream().mapToDouble(p -> (p[0] - mx) * (p[1] - my)).sum();
      double sxx = points.stream().mapToDouble(p -> (p[0] - mx) * (p[0] - mx)).sum();
      double slope = sxy / sxx;
      return new double[] {my - slope * mx, slope};
    }
  }
}
