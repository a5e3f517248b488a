package dev.recsys.trainer.eval;

import dev.recsys.model.scoring.TopK;
import dev.recsys.trainer.data.Csr;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Scores fold-in rows with any model, excludes the fold-in items, ranks the rest and averages the
 * paper's metrics, and heldOutRecall@10/20/100, over users with held-out items. The same code evaluates Mult-VAE, Mult-DAE and
 * the baselines.
 */
public final class Evaluator {

  /** Scores a batch of users given as item indices: returns a row-major [users × items] array. */
  @FunctionalInterface
  public interface ScoreFunction {
    float[] score(List<int[]> users);
  }

  private Evaluator() {}

  public static Metrics evaluate(Csr foldIn, Csr heldOut, ScoreFunction model, int batchSize) {
    int items = foldIn.cols();
    double ndcg = 0;
    double r20 = 0;
    double r50 = 0;
    double h10 = 0;
    double h20 = 0;
    double h100 = 0;
    int users = 0;
    BitSet target = new BitSet(items);
    for (int start = 0; start < foldIn.rows(); start += batchSize) {
      List<Integer> rows = new ArrayList<>();
      List<int[]> inputs = new ArrayList<>();
      for (int r = start; r < Math.min(foldIn.rows(), start + batchSize); r++) {
        if (heldOut.rowLength(r) > 0) {
          rows.add(r);
          inputs.add(foldIn.row(r));
        }
      }
      if (rows.isEmpty()) {
        continue;
      }
      float[] scores = model.score(inputs);
      for (int b = 0; b < rows.size(); b++) {
        int offset = b * items;
        for (int i : inputs.get(b)) {
          scores[offset + i] = Float.NEGATIVE_INFINITY;
        }
        int[] ranked = TopK.select(scores, offset, items, 100);
        int[] te = heldOut.row(rows.get(b));
        target.clear();
        for (int i : te) {
          target.set(i);
        }
        ndcg += RankingMetrics.ndcg(ranked, target::get, te.length, 100);
        r20 += RankingMetrics.recall(ranked, target::get, te.length, 20);
        r50 += RankingMetrics.recall(ranked, target::get, te.length, 50);
        h10 += RankingMetrics.heldOutRecall(ranked, target::get, te.length, 10);
        h20 += RankingMetrics.heldOutRecall(ranked, target::get, te.length, 20);
        h100 += RankingMetrics.heldOutRecall(ranked, target::get, te.length, 100);
        users++;
      }
    }
    if (users == 0) {
      return new Metrics(0, 0, 0, 0, 0, 0, 0);
    }
    return new Metrics(ndcg / users, r20 / users, r50 / users, h10 / users, h20 / users, h100 / users, users);
  }
}
