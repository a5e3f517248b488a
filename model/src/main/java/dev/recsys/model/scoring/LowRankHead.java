package dev.recsys.model.scoring;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.recsys.model.Tensor;
import dev.recsys.model.nn.BlockWeights;
import java.util.SplittableRandom;

/**
 * The output layer of a model twice: as a rank-r approximation that proposes candidates cheaply,
 * and exact, to re-score only those.
 *
 * <p>For the output layer's weight W {@code [h, I]}, P {@code [h, r]} spans the top-r left singular
 * subspace of W (the top eigenvectors of W·Wᵀ, found by subspace iteration), and the approximate
 * logits of a user's last hidden activations d are (d·P)·(Pᵀ·W) + b: h·r + r·I multiply-adds
 * instead of h·I. The trained decoders of Mult-VAE/DAE concentrate what tells users apart in a
 * few directions, which is why a small r finds the exact top of the list; the re-score makes every
 * returned logit exact (up to the order of the additions).
 */
final class LowRankHead implements AutoCloseable {

  private static final int ITERATIONS = 30;

  private final int hidden;
  private final NDArray projection;
  private final NDArray reduced;
  /** {@code reduced} as torch's linear takes a weight, [out, in]: a view. */
  private final NDArray reducedOutIn;
  private final NDArray bias;
  /** W transposed, item-major: item c's weights at [c·h, (c+1)·h). */
  private final float[] itemWeights;
  private final float[] biasValues;

  private LowRankHead(int hidden, NDArray projection, NDArray reduced, NDArray bias, float[] itemWeights, float[] biasValues) {
    this.hidden = hidden;
    this.projection = projection;
    this.reduced = reduced;
    this.reducedOutIn = reduced.transpose();
    this.bias = bias;
    this.itemWeights = itemWeights;
    this.biasValues = biasValues;
  }

  /**
   * Factorises an output layer given as a bundle's {@code [h, I]} weight and {@code [I]} bias.
   * The arrays are created on {@code manager} and live until it closes.
   */
  static LowRankHead of(Tensor weight, Tensor bias, int rank, NDManager manager) {
    int h = (int) weight.shape()[0];
    int n = (int) weight.shape()[1];
    if (rank >= h) {
      throw new IllegalArgumentException("the rank of two-stage scoring (" + rank + ") must be below the output layer's input width (" + h + ")");
    }
    NDArray w = manager.create(weight.data(), new Shape(h, n));
    double[] gram;
    try (NDArray g = w.matMul(w.transpose())) {
      float[] f = g.toFloatArray();
      gram = new double[f.length];
      for (int i = 0; i < f.length; i++) {
        gram[i] = f[i];
      }
    }
    double[] q = topEigenvectors(gram, h, rank);
    float[] p = new float[h * rank];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) q[i];
    }
    NDArray projection = manager.create(p, new Shape(h, rank));
    NDArray reduced;
    try (NDArray pt = projection.transpose()) {
      reduced = pt.matMul(w);
    }
    w.close();
    return new LowRankHead(h, projection, reduced, manager.create(bias.data()), BlockWeights.transpose(weight.data(), h, n), bias.data());
  }

  /**
   * An orthonormal basis {@code [h, r]} (row-major) of the top-r eigenvectors of a symmetric
   * positive semi-definite {@code [h, h]} matrix, by subspace iteration from a seeded start. It
   * converges at the rate of the gap λ(r+1)/λ(r); where the spectrum has none, the basis is close
   * to it, and the exact re-score makes the difference harmless.
   */
  static double[] topEigenvectors(double[] a, int h, int r) {
    SplittableRandom rnd = new SplittableRandom(1);
    double[] q = new double[h * r];
    for (int i = 0; i < q.length; i++) {
      q[i] = rnd.nextDouble(-1, 1);
    }
    orthonormalise(q, h, r, rnd);
    double[] y = new double[h * r];
    for (int it = 0; it < ITERATIONS; it++) {
      java.util.Arrays.fill(y, 0);
      for (int i = 0; i < h; i++) {
        for (int k = 0; k < h; k++) {
          double aik = a[i * h + k];
          if (aik == 0) {
            continue;
          }
          for (int j = 0; j < r; j++) {
            y[i * r + j] += aik * q[k * r + j];
          }
        }
      }
      orthonormalise(y, h, r, rnd);
      double[] t = q;
      q = y;
      y = t;
    }
    return q;
  }

  /**
   * Modified Gram-Schmidt on the columns of a row-major {@code [h, r]} matrix, twice for stability;
   * a column that vanishes (a matrix of rank below r) is replaced by a random one, orthogonalised in
   * turn.
   */
  private static void orthonormalise(double[] m, int h, int r, SplittableRandom rnd) {
    for (int pass = 0; pass < 2; pass++) {
      for (int j = 0; j < r; j++) {
        for (int k = 0; k < j; k++) {
          double dot = 0;
          for (int i = 0; i < h; i++) {
            dot += m[i * r + j] * m[i * r + k];
          }
          for (int i = 0; i < h; i++) {
            m[i * r + j] -= dot * m[i * r + k];
          }
        }
        double norm = 0;
        for (int i = 0; i < h; i++) {
          norm += m[i * r + j] * m[i * r + j];
        }
        if (norm < 1e-20) {
          for (int i = 0; i < h; i++) {
            m[i * r + j] = rnd.nextDouble(-1, 1);
          }
          j--; // orthogonalise the replacement against the columns before it
          continue;
        }
        double inv = 1 / Math.sqrt(norm);
        for (int i = 0; i < h; i++) {
          m[i * r + j] *= inv;
        }
      }
    }
  }

  /** Approximate logits {@code [B, I]} of last hidden activations {@code [B, h]}. */
  NDArray approximate(NDArray lastHidden) {
    try (NDArray reducedInput = lastHidden.matMul(projection)) {
      // torch's linear adds the bias inside the GEMM (addmm)
      return Linear.linear(reducedInput, reducedOutIn, bias).singletonOrThrow();
    }
  }

  /** The exact logit of each candidate item for one user's last hidden activations, {@code lastHidden[from .. from+h)}. */
  void rescore(float[] lastHidden, int from, int[] candidates, float[] out) {
    int c = 0;
    // four candidates at a time: each activation is loaded once for four independent sums
    for (; c + 3 < candidates.length; c += 4) {
      int b0 = candidates[c] * hidden;
      int b1 = candidates[c + 1] * hidden;
      int b2 = candidates[c + 2] * hidden;
      int b3 = candidates[c + 3] * hidden;
      float s0 = 0;
      float s1 = 0;
      float s2 = 0;
      float s3 = 0;
      for (int j = 0; j < hidden; j++) {
        float d = lastHidden[from + j];
        s0 += d * itemWeights[b0 + j];
        s1 += d * itemWeights[b1 + j];
        s2 += d * itemWeights[b2 + j];
        s3 += d * itemWeights[b3 + j];
      }
      out[c] = biasValues[candidates[c]] + s0;
      out[c + 1] = biasValues[candidates[c + 1]] + s1;
      out[c + 2] = biasValues[candidates[c + 2]] + s2;
      out[c + 3] = biasValues[candidates[c + 3]] + s3;
    }
    for (; c < candidates.length; c++) {
      int base = candidates[c] * hidden;
      float s0 = 0;
      for (int j = 0; j < hidden; j++) {
        s0 += lastHidden[from + j] * itemWeights[base + j];
      }
      out[c] = biasValues[candidates[c]] + s0;
    }
  }

  int hidden() {
    return hidden;
  }

  @Override
  public void close() {
    projection.close();
    reducedOutIn.close();
    reduced.close();
    bias.close();
  }
}
