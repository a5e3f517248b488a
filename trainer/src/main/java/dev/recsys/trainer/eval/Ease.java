package dev.recsys.trainer.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.recsys.trainer.data.Csr;
import java.util.List;

/**
 * EASE (Steck, 2019), the closed-form item-item baseline: with G = XᵀX + λI and P = G⁻¹,
 * B = I − P·diag(1/diag(P)), i.e. B_ij = −P_ij / P_jj off the diagonal and 0 on it. Scores are X·B.
 * The I×I algebra runs in the engine (PyTorch), which is fast enough for ML-20M's 20k items.
 */
public final class Ease implements Evaluator.ScoreFunction, AutoCloseable {

  private final NDManager manager;
  private final NDArray b;
  private final int items;

  private Ease(NDManager manager, NDArray b, int items) {
    this.manager = manager;
    this.b = b;
    this.items = items;
  }

  /** The Gram matrix XᵀX of the training data, in the manager's memory. */
  public static NDArray gram(NDManager manager, Csr train) {
    int n = train.cols();
    float[] g = new float[Math.multiplyExact(n, n)];
    for (int r = 0; r < train.rows(); r++) {
      int[] row = train.row(r);
      for (int i : row) {
        int base = i * n;
        for (int j : row) {
          g[base + j] += 1f;
        }
      }
    }
    return manager.create(g, new Shape(n, n));
  }

  /** Fits B for one λ from a precomputed Gram matrix (which is left unchanged). */
  public static Ease fit(NDArray gram, double lambda, Device device) {
    NDManager m = NDManager.newBaseManager(device);
    int n = (int) gram.getShape().get(0);
    try (NDManager tmp = m.newSubManager()) {
      NDArray g = gram.toDevice(device, true);
      g.attach(tmp);
      NDArray p = g.add(tmp.eye(n, n, 0, DataType.FLOAT32).mul(lambda)).inverse();
      NDArray b = p.div(p.diagonal().neg().expandDims(0));
      b = b.add(tmp.eye(n, n, 0, DataType.FLOAT32)); // zero the diagonal: −P_jj/P_jj + 1 = 0
      b.attach(m);
      return new Ease(m, b, n);
    }
  }

  @Override
  public float[] score(List<int[]> users) {
    float[] x = new float[users.size() * items];
    for (int u = 0; u < users.size(); u++) {
      for (int i : users.get(u)) {
        x[u * items + i] = 1f;
      }
    }
    try (NDManager tmp = manager.newSubManager()) {
      return tmp.create(x, new Shape(users.size(), items)).matMul(b).toFloatArray();
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
