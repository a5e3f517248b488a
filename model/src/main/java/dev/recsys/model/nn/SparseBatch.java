package dev.recsys.model.nn;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * A batch of users as padded item-index lists: the input of the sparse first layer. Each row holds
 * a user's model indices with value 1; shorter rows are padded with index 0 and value 0, which
 * contributes nothing.
 */
public final class SparseBatch {

  private final long[] indices;
  private final float[] values;
  private final int rows;
  private final int width;

  private SparseBatch(long[] indices, float[] values, int rows, int width) {
    this.indices = indices;
    this.values = values;
    this.rows = rows;
    this.width = width;
  }

  /** Builds a batch from each user's model item indices (binary interactions). */
  public static SparseBatch of(List<int[]> users) {
    int width = 1;
    for (int[] u : users) {
      width = Math.max(width, u.length);
    }
    int rows = users.size();
    long[] idx = new long[rows * width];
    float[] val = new float[rows * width];
    for (int r = 0; r < rows; r++) {
      int[] u = users.get(r);
      for (int j = 0; j < u.length; j++) {
        idx[r * width + j] = u[j];
        val[r * width + j] = 1f;
      }
    }
    return new SparseBatch(idx, val, rows, width);
  }

  public int rows() {
    return rows;
  }

  /** {@code (indices int64 [B, L], values float32 [B, L])} on the manager's device. */
  public NDList toNDList(NDManager manager) {
    Shape shape = new Shape(rows, width);
    return new NDList(manager.create(indices, shape), manager.create(values, shape));
  }
}
