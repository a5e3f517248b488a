package dev.recsys.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two-stage scoring against the exact ranking of an independent forward pass. */
class TwoStageScorerTest {

  @TempDir Path tmp;

  private static final int ITEMS = 300;
  private static final long[] MOVIES = LongStream.range(0, ITEMS).map(i -> 10 + 7 * i).toArray();
  private static final Architecture ARCH = new Architecture(ModelType.VAE, ITEMS, new int[] {40}, 8);

  /** A bundle whose output layer's weight {@code [40, I]} has exactly rank {@code rank} (0: as drawn, full rank). */
  private ModelBundle bundle(String name, int rank) throws Exception {
    Map<String, Tensor> w = new LinkedHashMap<>(RandomBundle.weights(ARCH, 5));
    if (rank > 0) {
      SplittableRandom rnd = new SplittableRandom(6);
      double[][] a = new double[40][rank];
      double[][] b = new double[rank][ITEMS];
      for (double[] row : a) {
        Arrays.setAll(row, i -> rnd.nextGaussian());
      }
      for (double[] row : b) {
        Arrays.setAll(row, i -> rnd.nextGaussian() * 0.3);
      }
      float[] product = new float[40 * ITEMS];
      for (int i = 0; i < 40; i++) {
        for (int j = 0; j < ITEMS; j++) {
          double s = 0;
          for (int k = 0; k < rank; k++) {
            s += a[i][k] * b[k][j];
          }
          product[i * ITEMS + j] = (float) s;
        }
      }
      w.put("dec1.weight", new Tensor(new long[] {40, ITEMS}, product));
    }
    Path template = tmp.resolve(name + "-template");
    RandomBundle.write(template, ARCH, MOVIES, 5);
    ModelBundle.write(tmp.resolve(name), ModelBundle.manifestOf(template), ModelBundle.load(template).vocabulary(), w);
    return ModelBundle.load(tmp.resolve(name));
  }

  private static List<UserQuery> users(int n) {
    SplittableRandom rnd = new SplittableRandom(7);
    List<UserQuery> out = new ArrayList<>();
    for (int u = 0; u < n; u++) {
      long[] positives = rnd.ints(3 + rnd.nextInt(30), 0, ITEMS).distinct().mapToLong(i -> MOVIES[i]).toArray();
      long[] rated = LongStream.concat(Arrays.stream(positives), rnd.ints(5, 0, ITEMS).mapToLong(i -> MOVIES[i])).distinct().toArray();
      out.add(new UserQuery(positives, rated));
    }
    return out;
  }

  /** The reference ranking: every unrated item by its logit from ReferenceForward. */
  private static List<Long> expected(ModelBundle b, UserQuery q, int k) {
    int[] known = Arrays.stream(q.positives()).mapToInt(m -> Arrays.binarySearch(MOVIES, m)).toArray();
    double[] logits = ReferenceForward.logits(ARCH, b.weights(), known);
    Set<Long> rated = new HashSet<>();
    Arrays.stream(q.rated()).forEach(rated::add);
    return IntStream.range(0, ITEMS).filter(i -> !rated.contains(MOVIES[i])).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -logits[i])).limit(k).map(i -> MOVIES[i]).toList();
  }

  private static List<Long> ids(Recommendations r) {
    return r.items().stream().map(ScoredItem::movieId).toList();
  }

  @Test
  void anOutputLayerOfTheSameRankIsRankedExactlyFromFewCandidates() throws Exception {
    ModelBundle b = bundle("rank5", 5);
    List<UserQuery> users = users(40);
    try (Scorer exact = Scorer.open(b, Device.cpu()); Scorer twoStage = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(5, 20))) {
      List<Recommendations> e = exact.score(users, 10);
      List<Recommendations> t = twoStage.score(users, 10);
      for (int u = 0; u < users.size(); u++) {
        assertThat(ids(t.get(u))).as("user " + u).isEqualTo(expected(b, users.get(u), 10));
        for (int j = 0; j < 10; j++) {
          assertThat(t.get(u).items().get(j).score()).isCloseTo(e.get(u).items().get(j).score(), org.assertj.core.data.Offset.offset(1e-4f));
        }
      }
    }
  }

  @Test
  void aLowRankOfAFullRankLayerMissesItemsUnlessEveryItemIsRescored() throws Exception {
    ModelBundle b = bundle("full", 0);
    List<UserQuery> users = users(40);
    try (Scorer approx = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(2, 10));
        Scorer everything = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(2, ITEMS))) {
      List<Recommendations> few = approx.score(users, 10);
      List<Recommendations> all = everything.score(users, 10);
      int missed = 0;
      for (int u = 0; u < users.size(); u++) {
        List<Long> want = expected(b, users.get(u), 10);
        assertThat(ids(all.get(u))).as("user " + u + ", every item re-scored").isEqualTo(want);
        Set<Long> got = new HashSet<>(ids(few.get(u)));
        missed += (int) want.stream().filter(m -> !got.contains(m)).count();
        Set<Long> rated = new HashSet<>();
        Arrays.stream(users.get(u).rated()).forEach(rated::add);
        assertThat(got).as("user " + u).hasSize(10).doesNotContainAnyElementsOf(rated);
      }
      assertThat(missed).as("items of the exact top 10 that rank 2 with 10 candidates missed, over 40 users").isPositive();
    }
  }

  @Test
  void usersWithoutKnownItemsGetThePopularityFallback() throws Exception {
    ModelBundle b = bundle("fallback", 5);
    try (Scorer twoStage = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(5, 20))) {
      Recommendations r = twoStage.score(UserQuery.ofItems(99_999), 10);
      assertThat(r.fallback()).isTrue();
    }
  }

  @Test
  void aRankNotBelowTheLayerWidthScoresExactly() throws Exception {
    ModelBundle b = bundle("wide", 0);
    List<UserQuery> users = users(10);
    try (Scorer wide = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(40, 10)); Scorer narrow = Scorer.open(b, Device.cpu(), ScoringMode.twoStage(39, 10))) {
      assertThat(wide.mode()).isEqualTo(ScoringMode.EXACT);
      assertThat(narrow.mode()).isEqualTo(ScoringMode.twoStage(39, 10));
      List<Recommendations> r = wide.score(users, 10);
      for (int u = 0; u < users.size(); u++) {
        assertThat(ids(r.get(u))).isEqualTo(expected(b, users.get(u), 10));
      }
    }
    assertThatThrownBy(() -> ScoringMode.twoStage(0, 100)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ScoringMode.twoStage(8, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
