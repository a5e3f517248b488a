package dev.recsys.app.bench;

import ai.djl.Device;
import dev.recsys.kafka.replay.ReplayEvents;
import dev.recsys.model.Architecture;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.Interactions;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code recsys bench two-stage}: two-stage scoring against exact scoring, side by side. On a
 * trained bundle and the real users of a ratings file (each user's positives in, every rated movie
 * excluded): the top-100 overlap with the exact ranking and the speed of each mode. Then the speed
 * alone at ML-20M size, where a random model stands in (its rankings say nothing about a trained
 * model's, its cost is the same).
 */
@Command(name = "two-stage", mixinStandardHelpOptions = true,
    description = {"Two-stage scoring (scoring.mode=two_stage) against exact: the top-100 overlap on the real users of a trained bundle",
        "and the speed of both, for each rank and candidate count; then the speed at ML-20M size."})
final class TwoStageBench implements Callable<Integer> {

  private static final int K = 100;

  @Option(names = "--bundle", required = true, description = "A trained bundle directory, e.g. the bundle/ of `recsys train --out DIR`")
  Path bundleDir;

  @Option(names = "--ratings", required = true, description = "ratings.csv whose users are scored (their positives in, everything rated excluded)")
  Path ratings;

  @Option(names = "--ranks", split = ",", defaultValue = "16,32,64,128", description = "Ranks to try (default: ${DEFAULT-VALUE})")
  int[] ranks;

  @Option(names = "--candidates", split = ",", defaultValue = "200,400,800", description = "Candidates re-scored per user (default: ${DEFAULT-VALUE})")
  int[] candidates;

  @Option(names = "--batch", defaultValue = "256", description = "Users per forward pass (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--threads", defaultValue = "2", description = "PyTorch threads (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--seconds", defaultValue = "3", description = "Timing per measurement (default: ${DEFAULT-VALUE})")
  double seconds;

  @Option(names = "--items", defaultValue = "20108", description = "Items of the ML-20M-size model timed at the end; 0 skips it (default: ${DEFAULT-VALUE})")
  int items;

  @Option(names = "--rank", defaultValue = "64", description = "Rank timed at ML-20M size (default: ${DEFAULT-VALUE})")
  int bigRank;

  @Option(names = "--candidate-count", defaultValue = "400", description = "Candidates timed at ML-20M size (default: ${DEFAULT-VALUE})")
  int bigCandidates;

  @Override
  public Integer call() throws Exception {
    DjlRuntime.configure(null, new DjlRuntime.Threads(threads, 1));
    ModelBundle bundle = ModelBundle.load(bundleDir);
    List<UserQuery> users = users(ratings, bundle);
    Architecture arch = bundle.architecture();
    System.out.printf(Locale.ROOT, "two-stage against exact, top-%d: %s %s (%,d items, hidden %s), %,d users of %s, batch %d, %d torch threads, %s%n",
        K, arch.type(), bundleDir, arch.numItems(), Arrays.toString(arch.hidden()), users.size(), ratings, batch, threads, BenchCommand.cpu());
    List<List<Long>> exact;
    double exactMs;
    try (Scorer s = Scorer.open(bundle, Device.cpu())) {
      exact = ids(score(s, users, batch));
      exactMs = msPerUser(s, users);
    }
    System.out.printf(Locale.ROOT, "  exact: %.3f ms per user%n", exactMs);
    System.out.printf("  %5s %10s %14s %9s %16s %12s %9s%n", "rank", "candidates", "overlap@100", "min", "users with 100", "ms per user", "speed-up");
    for (int rank : ranks) {
      for (int c : candidates) {
        try (Scorer s = Scorer.open(bundle, Device.cpu(), ScoringMode.twoStage(rank, c))) {
          Overlap o = overlap(exact, ids(score(s, users, batch)));
          double ms = msPerUser(s, users);
          System.out.printf(Locale.ROOT, "  %5d %10d %13.2f%% %8.0f%% %8d of %,d %12.3f %8.2fx%n", rank, c, 100 * o.mean(), 100 * o.min(), o.complete(),
              users.size(), ms, exactMs / ms);
        }
      }
    }
    if (items > 0) {
      timeAtSize();
    }
    System.out.println("  " + BenchCommand.peakResident());
    return 0;
  }

  /** Speed alone at ML-20M size, on the harness's synthetic users, by batch size. */
  private void timeAtSize() throws Exception {
    Path dir = Files.createTempDirectory("bench-two-stage").resolve("b");
    long[] movies = LongStream.rangeClosed(1, items).toArray();
    ModelBundle big = RandomBundle.write(dir, Architecture.paperVae(items), movies, 1);
    System.out.printf(Locale.ROOT, "ML-20M size, Mult-VAE %d-600-200-600-%d, random weights (speed only): rank %d, %d candidates%n", items, items, bigRank,
        bigCandidates);
    System.out.printf("  %6s %18s %22s %9s%n", "batch", "exact ms per user", "two-stage ms per user", "speed-up");
    try (Scorer exact = Scorer.open(big, Device.cpu()); Scorer two = Scorer.open(big, Device.cpu(), ScoringMode.twoStage(bigRank, bigCandidates))) {
      SplittableRandom rnd = new SplittableRandom(2);
      for (int b : new int[] {1, 8, 32, 128, 256}) {
        List<UserQuery> qs = new ArrayList<>();
        for (int[] u : BenchCommand.users(b, items, rnd)) {
          qs.add(UserQuery.ofItems(Arrays.stream(u).mapToLong(i -> i + 1).toArray()));
        }
        double e = msPerUser(exact, qs);
        double t = msPerUser(two, qs);
        System.out.printf(Locale.ROOT, "  %6d %18.3f %22.3f %8.2fx%n", b, e, t, e / t);
      }
    }
  }

  /** Every user of a ratings file with a positive the bundle knows: positives in, all rated excluded. */
  static List<UserQuery> users(Path ratings, ModelBundle bundle) throws Exception {
    ReplayEvents e = ReplayEvents.load(ratings, null, 0, true);
    Map<Long, Set<Long>> positives = new LinkedHashMap<>();
    Map<Long, Set<Long>> rated = new LinkedHashMap<>();
    for (int i = 0; i < e.size(); i++) {
      rated.computeIfAbsent(e.userId(i), x -> new LinkedHashSet<>()).add(e.movieId(i));
      if (Interactions.isPositive(e.rating(i)) && bundle.vocabulary().indexOf(e.movieId(i)) >= 0) {
        positives.computeIfAbsent(e.userId(i), x -> new LinkedHashSet<>()).add(e.movieId(i));
      }
    }
    List<UserQuery> out = new ArrayList<>();
    for (Map.Entry<Long, Set<Long>> p : positives.entrySet()) {
      out.add(new UserQuery(p.getValue().stream().mapToLong(Long::longValue).toArray(),
          rated.get(p.getKey()).stream().mapToLong(Long::longValue).sorted().toArray()));
    }
    return out;
  }

  static List<Recommendations> score(Scorer s, List<UserQuery> users, int batch) {
    List<Recommendations> out = new ArrayList<>();
    for (int from = 0; from < users.size(); from += batch) {
      out.addAll(s.score(users.subList(from, Math.min(users.size(), from + batch)), K));
    }
    return out;
  }

  /** Wall time per user, batches of {@code --batch} (or all of {@code users} if fewer), after one warm-up pass. */
  private double msPerUser(Scorer s, List<UserQuery> users) {
    score(s, users, batch);
    long n = 0;
    long t0 = System.nanoTime();
    do {
      score(s, users, batch);
      n += users.size();
    } while (System.nanoTime() - t0 < seconds * 1e9);
    return (System.nanoTime() - t0) / 1e6 / n;
  }

  static List<List<Long>> ids(List<Recommendations> recs) {
    return recs.stream().map(r -> r.items().stream().map(ScoredItem::movieId).toList()).toList();
  }

  /** Over users: the mean and the least share of the exact list that the other list holds, and how many hold all of it. */
  record Overlap(double mean, double min, int complete) {}

  static Overlap overlap(List<List<Long>> exact, List<List<Long>> other) {
    double sum = 0;
    double min = 1;
    int complete = 0;
    for (int u = 0; u < exact.size(); u++) {
      Set<Long> o = new HashSet<>(other.get(u));
      double share = exact.get(u).isEmpty() ? 1 : (double) exact.get(u).stream().filter(o::contains).count() / exact.get(u).size();
      sum += share;
      min = Math.min(min, share);
      complete += share == 1 ? 1 : 0;
    }
    return new Overlap(exact.isEmpty() ? 1 : sum / exact.size(), min, complete);
  }
}
