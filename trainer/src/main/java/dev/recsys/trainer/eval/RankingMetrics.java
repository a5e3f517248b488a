package dev.recsys.trainer.eval;

/**
 * The paper's ranking metrics for one user, given the ranked items (fold-in items already
 * excluded) and the held-out set.
 *
 * <ul>
 *   <li>NDCG@k = DCG@k / IDCG@k with binary relevance, DCG = Σ_{r<k} rel_r / log2(r + 2) and the
 *       ideal DCG over min(k, |held-out|) hits;
 *   <li>Recall@k = hits in the top k / min(k, |held-out|).
 * </ul>
 */
public final class RankingMetrics {

  private RankingMetrics() {}

  /** NDCG@k; {@code ranked} must hold at least k items or all there are. */
  public static double ndcg(int[] ranked, java.util.function.IntPredicate heldOut, int heldOutCount, int k) {
    requireTargets(heldOutCount);
    double dcg = 0;
    for (int r = 0; r < Math.min(k, ranked.length); r++) {
      if (heldOut.test(ranked[r])) {
        dcg += 1.0 / log2(r + 2);
      }
    }
    double idcg = 0;
    for (int r = 0; r < Math.min(k, heldOutCount); r++) {
      idcg += 1.0 / log2(r + 2);
    }
    return dcg / idcg;
  }

  /** Recall@k with the paper's denominator min(k, |held-out|). */
  public static double recall(int[] ranked, java.util.function.IntPredicate heldOut, int heldOutCount, int k) {
    requireTargets(heldOutCount);
    int hits = 0;
    for (int r = 0; r < Math.min(k, ranked.length); r++) {
      if (heldOut.test(ranked[r])) {
        hits++;
      }
    }
    return (double) hits / Math.min(k, heldOutCount);
  }

  private static void requireTargets(int heldOutCount) {
    if (heldOutCount == 0) {
      throw new IllegalArgumentException("users without held-out items are skipped, not scored");
    }
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
