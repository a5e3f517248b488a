package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.eval.Ease;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class EaseTest {

  @Test
  void matchesPlainJavaClosedForm() {
    int users = 40;
    int items = 12;
    SplittableRandom rnd = new SplittableRandom(1);
    int[] r = new int[users * items];
    int[] c = new int[users * items];
    int n = 0;
    for (int u = 0; u < users; u++) {
      for (int i = 0; i < items; i++) {
        if (rnd.nextInt(3) == 0) {
          r[n] = u;
          c[n++] = i;
        }
      }
    }
    Csr x = Csr.fromPairs(users, items, r, c, n);
    double lambda = 5.0;
    // independent: G = XᵀX + λI, P = G⁻¹ by Gauss-Jordan, B_ij = -P_ij / P_jj, B_jj = 0
    double[][] g = new double[items][items];
    for (int u = 0; u < users; u++) {
      for (int i : x.row(u)) {
        for (int j : x.row(u)) {
          g[i][j] += 1;
        }
      }
    }
    for (int i = 0; i < items; i++) {
      g[i][i] += lambda;
    }
    double[][] p = invert(g);
    int[] user = x.row(3);
    double[] expected = new double[items];
    for (int j = 0; j < items; j++) {
      for (int i : user) {
        expected[j] += i == j ? 0 : -p[i][j] / p[j][j];
      }
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray gram = Ease.gram(m, x);
      try (Ease ease = Ease.fit(gram, lambda, Device.cpu())) {
        float[] s = ease.score(List.of(user));
        for (int j = 0; j < items; j++) {
          assertEquals(expected[j], s[j], 1e-4, "item " + j);
        }
      }
    }
  }

  private static double[][] invert(double[][] a) {
    int n = a.length;
    double[][] m = new double[n][2 * n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(a[i], 0, m[i], 0, n);
      m[i][n + i] = 1;
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int row = col + 1; row < n; row++) {
        if (Math.abs(m[row][col]) > Math.abs(m[pivot][col])) {
          pivot = row;
        }
      }
      double[] t = m[col];
      m[col] = m[pivot];
      m[pivot] = t;
      double d = m[col][col];
      for (int k = 0; k < 2 * n; k++) {
        m[col][k] /= d;
      }
      for (int row = 0; row < n; row++) {
        if (row != col) {
          double f = m[row][col];
          for (int k = 0; k < 2 * n; k++) {
            m[row][k] -= f * m[col][k];
          }
        }
      }
    }
    double[][] inv = new double[n][n];
    for (int i = 0; i < n; i++) {
      System.arraycopy(m[i], n, inv[i], 0, n);
    }
    return inv;
  }
}
