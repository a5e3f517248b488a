package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.eval.RankingMetrics;
import java.util.Set;
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
