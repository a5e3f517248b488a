package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.eval.RankingMetrics;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MetricsTest {

  private static double l2(int x) {
    return Math.log(x) / Math.log(2);
  }

  @Test
  void ndcgByHand() {
    // hits at ranks 0 and 2 of 3 held-out items
    int[] ranked = {5, 9, 7, 1};
    Set<Integer> held = Set.of(5, 7, 8);
    double dcg = 1 / l2(2) + 1 / l2(4);
    double idcg = 1 / l2(2) + 1 / l2(3) + 1 / l2(4);
    assertEquals(dcg / idcg, RankingMetrics.ndcg(ranked, held::contains, 3, 100), 1e-12);
    // k smaller than the held-out set caps the ideal DCG at k
    assertEquals(1.0, RankingMetrics.ndcg(new int[] {5, 7}, held::contains, 3, 2), 1e-12);
    assertEquals(0.0, RankingMetrics.ndcg(new int[] {1, 2}, held::contains, 3, 100), 1e-12);
  }

  @Test
  void recallUsesMinOfKAndHeldOut() {
    int[] ranked = {1, 2, 3, 4, 5};
    Set<Integer> held = Set.of(2, 4, 9);
    assertEquals(2.0 / 3, RankingMetrics.recall(ranked, held::contains, 3, 20), 1e-12);
    // k=2 < |held-out|=3: denominator 2
    assertEquals(1.0 / 2, RankingMetrics.recall(ranked, held::contains, 3, 2), 1e-12);
  }

  @Test
  void heldOutRecallDividesByAllTheHeldOutItems() {
    int[] ranked = {1, 2, 3, 4, 5};
    Set<Integer> held = Set.of(2, 4, 9);
    // k=2: one of the three held-out items is in the top 2 (Recall@2 would say 1/2)
    assertEquals(1.0 / 3, RankingMetrics.heldOutRecall(ranked, held::contains, 3, 2), 1e-12);
    // k at least |held-out|: the paper's Recall@k
    assertEquals(RankingMetrics.recall(ranked, held::contains, 3, 20), RankingMetrics.heldOutRecall(ranked, held::contains, 3, 20));
  }

  /** Item i scores 30 − i for everyone: after the fold-in items, the ranking is by index. */
  private static float[] byIndex(List<int[]> users, int items) {
    float[] s = new float[users.size() * items];
    for (int u = 0; u < users.size(); u++) {
      for (int i = 0; i < items; i++) {
        s[u * items + i] = items - i;
      }
    }
    return s;
  }

  @Test
  void evaluatorHeldOutRecallByHand() {
    // 30 items ranked by index; user 0 folds in {0, 1}, user 1 folds in {5}
    int[] held0 = {2, 3, 5, 8, 13, 21, 25, 29};
    int[] held1 = IntStream.rangeClosed(6, 29).toArray(); // 24 items, more than 20
    Csr foldIn = Csr.fromPairs(2, 30, new int[] {0, 0, 1}, new int[] {0, 1, 5}, 3);
    int[] rows = IntStream.concat(IntStream.generate(() -> 0).limit(held0.length), IntStream.generate(() -> 1).limit(held1.length)).toArray();
    int[] cols = IntStream.concat(IntStream.of(held0), IntStream.of(held1)).toArray();
    Csr heldOut = Csr.fromPairs(2, 30, rows, cols, rows.length);
    Metrics m = Evaluator.evaluate(foldIn, heldOut, users -> byIndex(users, 30), 10);
    // user 0 ranks 2..29: top 10 = 2..11 holds 2, 3, 5, 8; top 20 = 2..21 adds 13 and 21
    // user 1 ranks 0..4, 6..29: top 10 holds 6..10 (5 items); top 20 holds 6..20 (15 items)
    assertEquals((4.0 / 8 + 5.0 / 24) / 2, m.heldOutRecall10(), 1e-12);
    assertEquals((6.0 / 8 + 15.0 / 24) / 2, m.heldOutRecall20(), 1e-12);
    assertEquals(1.0, m.heldOutRecall100(), 1e-12);
    // the paper's Recall@20 caps user 1's denominator at 20: 15/20
    assertEquals((6.0 / 8 + 15.0 / 20) / 2, m.recall20(), 1e-12);
  }

  /** A random-looking score of an item that depends only on the user's input, so both computations can make it. */
  private static float score(int[] foldIn, int item) {
    int[] sorted = foldIn.clone();
    java.util.Arrays.sort(sorted);
    return (float) new SplittableRandom(java.util.Arrays.hashCode(sorted) * 1_000_003L + item).nextDouble();
  }

  /** Random sets and scores; the expected values come from sorting every unrated item, not from TopK. */
  @Test
  void evaluatorHeldOutRecallMatchesAnIndependentComputation() {
    SplittableRandom rnd = new SplittableRandom(11);
    int users = 40;
    int items = 300;
    List<Integer> fr = new ArrayList<>(), fc = new ArrayList<>(), hr = new ArrayList<>(), hc = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      Set<Integer> seen = new HashSet<>();
      int nFold = 1 + rnd.nextInt(40);
      int nHeld = 1 + rnd.nextInt(150); // many users with more than 20, some with more than 100
      while (seen.size() < nFold + nHeld) {
        int i = rnd.nextInt(items);
        if (seen.add(i)) {
          (seen.size() <= nFold ? fr : hr).add(u);
          (seen.size() <= nFold ? fc : hc).add(i);
        }
      }
    }
    Csr foldIn = Csr.fromPairs(users, items, ints(fr), ints(fc), fr.size());
    Csr heldOut = Csr.fromPairs(users, items, ints(hr), ints(hc), hr.size());
    Evaluator.ScoreFunction f = batch -> {
      float[] out = new float[batch.size() * items];
      for (int b = 0; b < batch.size(); b++) {
        for (int i = 0; i < items; i++) {
          out[b * items + i] = score(batch.get(b), i);
        }
      }
      return out;
    };
    Metrics m = Evaluator.evaluate(foldIn, heldOut, f, 7);

    int[] ks = {10, 20, 100};
    double[] expected = new double[ks.length];
    for (int u = 0; u < users; u++) {
      int[] in = foldIn.row(u);
      Set<Integer> rated = new HashSet<>();
      for (int i : in) {
        rated.add(i);
      }
      List<Integer> ranked = IntStream.range(0, items).filter(i -> !rated.contains(i)).boxed()
          .sorted(Comparator.comparingDouble((Integer i) -> score(in, i)).reversed()).toList();
      Set<Integer> held = new HashSet<>();
      for (int i : heldOut.row(u)) {
        held.add(i);
      }
      for (int k = 0; k < ks.length; k++) {
        Set<Integer> top = new HashSet<>(ranked.subList(0, ks[k]));
        top.retainAll(held);
        expected[k] += (double) top.size() / held.size() / users;
      }
    }
    assertEquals(users, m.users());
    assertEquals(expected[0], m.heldOutRecall10(), 1e-12);
    assertEquals(expected[1], m.heldOutRecall20(), 1e-12);
    assertEquals(expected[2], m.heldOutRecall100(), 1e-12);
    assertThat(m.heldOutRecall20()).as("users with more than 20 held-out items make it smaller than Recall@20").isLessThan(m.recall20());
  }

  @Test
  void heldOutRecallIsRecallWhenNoUserHasMoreThanKHeldOutItems() {
    SplittableRandom rnd = new SplittableRandom(5);
    int users = 30;
    int items = 200;
    List<Integer> fr = new ArrayList<>(), fc = new ArrayList<>(), hr = new ArrayList<>(), hc = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      Set<Integer> seen = new HashSet<>();
      int nFold = 1 + rnd.nextInt(30);
      int nHeld = 1 + rnd.nextInt(20); // at most 20
      while (seen.size() < nFold + nHeld) {
        int i = rnd.nextInt(items);
        if (seen.add(i)) {
          (seen.size() <= nFold ? fr : hr).add(u);
          (seen.size() <= nFold ? fc : hc).add(i);
        }
      }
    }
    float[] itemScores = new float[items];
    for (int i = 0; i < items; i++) {
      itemScores[i] = (float) rnd.nextDouble();
    }
    Evaluator.ScoreFunction f = batch -> {
      float[] out = new float[batch.size() * items];
      for (int b = 0; b < batch.size(); b++) {
        System.arraycopy(itemScores, 0, out, b * items, items);
      }
      return out;
    };
    Metrics m = Evaluator.evaluate(Csr.fromPairs(users, items, ints(fr), ints(fc), fr.size()),
        Csr.fromPairs(users, items, ints(hr), ints(hc), hr.size()), f, 8);
    assertThat(m.recall20()).isPositive();
    assertEquals(m.recall20(), m.heldOutRecall20(), 1e-15);
  }

  private static int[] ints(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  @Test
  void evaluatorExcludesFoldInAndSkipsUsersWithoutTargets() {
    // 3 users, 6 items; user 2 has no held-out items
    Csr foldIn = Csr.fromPairs(3, 6, new int[] {0, 0, 1, 2}, new int[] {0, 1, 2, 3}, 4);
    Csr heldOut = Csr.fromPairs(3, 6, new int[] {0, 1}, new int[] {2, 5}, 2);
    // scores prefer low indices: user 0 ranks 0,1 (excluded) then 2 (hit at rank 0)
    Evaluator.ScoreFunction f =
        users -> {
          float[] s = new float[users.size() * 6];
          for (int u = 0; u < users.size(); u++) {
            for (int i = 0; i < 6; i++) {
              s[u * 6 + i] = 6 - i;
            }
          }
          return s;
        };
    Metrics m = Evaluator.evaluate(foldIn, heldOut, f, 2);
    assertEquals(2, m.users());
    // user 0: hit at rank 0 -> ndcg 1; user 1: ranking 0,1,3,4,5 -> item 5 at rank 4
    double user1 = (1 / l2(6)) / 1.0;
    assertEquals((1.0 + user1) / 2, m.ndcg100(), 1e-9);
    assertEquals(1.0, m.recall20(), 1e-12);
    assertEquals(1.0, m.recall50(), 1e-12);
  }
}
