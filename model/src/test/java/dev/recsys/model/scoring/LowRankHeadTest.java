package dev.recsys.model.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LowRankHeadTest {

  /** Q·Qᵀ, the projection onto the span of Q's r columns, row-major [h, h]. */
  private static double[] projector(double[] q, int h, int r, int stride) {
    double[] p = new double[h * h];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < h; j++) {
        for (int k = 0; k < r; k++) {
          p[i * h + j] += q[i * stride + k] * q[j * stride + k];
        }
      }
    }
    return p;
  }

  @Test
  void findsTheTopEigenspaceOfARotatedDiagonal() {
    int h = 30;
    int r = 4;
    // V = I - 2uuᵀ/|u|² (a Householder reflection: orthogonal), A = V·diag(λ)·Vᵀ with λ = 100, 99, 98, 97
    // and then 26, 25, ..., 1: subspace iteration converges at the rate of the gap, (26/97)^iterations
    SplittableRandom rnd = new SplittableRandom(3);
    double[] u = new double[h];
    double norm = 0;
    for (int i = 0; i < h; i++) {
      u[i] = rnd.nextGaussian();
      norm += u[i] * u[i];
    }
    double[] v = new double[h * h];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < h; j++) {
        v[i * h + j] = (i == j ? 1 : 0) - 2 * u[i] * u[j] / norm;
      }
    }
    double[] a = new double[h * h];
    for (int i = 0; i < h; i++) {
      for (int j = 0; j < h; j++) {
        for (int k = 0; k < h; k++) {
          a[i * h + j] += v[i * h + k] * (k < r ? 100 - k : h - k) * v[j * h + k];
        }
      }
    }
    double[] q = LowRankHead.topEigenvectors(a, h, r);
    for (int x = 0; x < r; x++) {
      for (int y = 0; y < r; y++) {
        double dot = 0;
        for (int i = 0; i < h; i++) {
          dot += q[i * r + x] * q[i * r + y];
        }
        assertThat(dot).as("column %d · column %d", x, y).isCloseTo(x == y ? 1 : 0, offset(1e-9));
      }
    }
    // the span of V's first r columns: the same projector
    double[] want = projector(v, h, r, h);
    double[] got = projector(q, h, r, r);
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).isCloseTo(want[i], offset(1e-3));
    }
  }
}
