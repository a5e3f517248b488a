package dev.recsys.trainer.eval;

import java.util.function.IntPredicate;

/**
 * The ranking metrics for one user, given the ranked items (fold-in items already excluded) and the
 * held-out set.
 *
 * <ul>
 *   <li>NDCG@k = DCG@k / IDCG@k with binary relevance, DCG = Σ_{r<k} rel_r / log2(r + 2) and the
 *       ideal DCG over min(k, |held-out|) hits (the paper's);
 *   <li>Recall@k = hits in the top k / min(k, |held-out|) (the paper's);
 *   <li>heldOutRecall@k = hits in the top k / |held-out|: the share of the held-out items in the top
 *       k, so the chance that one held-out item drawn at random is in it. The job's online
 *       HitRate@k estimates its mean; it equals Recall@k for users with at most k held-out items.
 * </ul>
 */
public final class RankingMetrics {

  private RankingMetrics() {}

  /** NDCG@k; {@code ranked} must hold at least k items or all there are. */
  public static double ndcg(int[] ranked, IntPredicate heldOut, int heldOutCount, int k) {
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
  public static double recall(int[] ranked, IntPredicate heldOut, int heldOutCount, int k) {
    requireTargets(heldOutCount);
    return (double) hits(ranked, heldOut, k) / Math.min(k, heldOutCount);
  }

  /** heldOutRecall@k: hits in the top k over all the held-out items. */
  public static double heldOutRecall(int[] ranked, IntPredicate heldOut, int heldOutCount, int k) {
    requireTargets(heldOutCount);
    return (double) hits(ranked, heldOut, k) / heldOutCount;
  }

  private static int hits(int[] ranked, IntPredicate heldOut, int k) {
    int hits = 0;
    for (int r = 0; r < Math.min(k, ranked.length); r++) {
      if (heldOut.test(ranked[r])) {
        hits++;
      }
    }
    return hits;
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
