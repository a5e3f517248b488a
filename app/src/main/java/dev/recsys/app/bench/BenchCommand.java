package dev.recsys.app.bench;

import ai.djl.Device;
import dev.recsys.model.Architecture;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.nn.MultAutoencoderBlock;
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
    @Option(names = "--seconds", defaultValue = "10") int seconds;
    @Option(names = "--vector-api", defaultValue = "true", arity = "1",
        description = "The output layer through the Vector API where this JVM has its module (as scoring.vector-api); false: libtorch's (default: true)")
    boolean vectorApi;

    @Override
    public Integer call() throws Exception {
      DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
      Path dir = Files.createTempDirectory("bench-bundle").resolve("b");
      long[] movies = LongStream.rangeClosed(1, items).toArray();
      ModelBundle bundle = RandomBundle.write(dir, Architecture.paperVae(items), movies, 1);
      try (Scorer scorer = Scorer.open(bundle, Device.cpu(), ScoringMode.EXACT, vectorApi)) {
        System.out.printf("scorer: Mult-VAE %d-600-200-600-%d, top-100, %d torch threads, output layer on %s, %s%n", items, items, threads,
            scorer.outputLayerEngine(), cpu());
        SplittableRandom rnd = new SplittableRandom(2);
        for (int batch : new int[] {1, 32, 128, 256, 512}) {
          List<UserQuery> queries = new ArrayList<>();
          for (int[] u : users(batch, items, rnd)) {
            long[] ids = Arrays.stream(u).mapToLong(i -> i + 1).toArray();
            queries.add(UserQuery.ofItems(ids));
          }
          scorer.score(queries, 100); // warm-up
          long users = 0;
          long t0 = System.nanoTime();
          while (System.nanoTime() - t0 < seconds * 1_000_000_000L / 5) {
            scorer.score(queries, 100);
            users += batch;
          }
          double s = (System.nanoTime() - t0) / 1e9;
          List<int[]> raw = new ArrayList<>();
          for (UserQuery q : queries) {
            raw.add(Arrays.stream(q.positives()).mapToInt(id -> bundle.vocabulary().indexOf(id)).toArray());
          }
          dev.recsys.model.nn.SparseBatch sb = dev.recsys.model.nn.SparseBatch.of(raw);
          long f0 = System.nanoTime();
          int reps = Math.max(1, (int) (users / batch));
          for (int r = 0; r < reps; r++) {
            scorer.forward(sb);
          }
          double forwardMs = (System.nanoTime() - f0) / 1e6 / (reps * (double) batch);
          System.out.printf("  batch %4d: %7.2f ms per user (forward pass alone %.2f ms), %6.0f users/s%n", batch, s * 1000 / users, forwardMs, users / s);
        }
      }
      System.out.println("  " + peakResident());
      return 0;
    }
  }
}
