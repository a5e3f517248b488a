package dev.recsys.trainer.eval;

import dev.recsys.trainer.data.Csr;
import java.util.List;

/** The popularity baseline: every user gets items ranked by how many training users have them. */
public final class Popularity implements Evaluator.ScoreFunction {

  private final float[] counts;

  public Popularity(Csr train) {
    long[] c = train.columnCounts();
    counts = new float[c.length];
    for (int i = 0; i < c.length; i++) {
      counts[i] = c[i];
    }
  }

  @Override
  public float[] score(List<int[]> users) {
    float[] out = new float[users.size() * counts.length];
    for (int u = 0; u < users.size(); u++) {
      System.arraycopy(counts, 0, out, u * counts.length, counts.length);
    }
    return out;
  }
}
