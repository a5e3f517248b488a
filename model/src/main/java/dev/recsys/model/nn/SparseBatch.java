package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A batch of users as a sparse [B × I] input: the L2-normalised binary rows (1/√n at each of a
 * user's n items), as a COO tensor. The first layer is then one sparse × dense product that reads
 * only the rows of W the batch touches, in training and in inference: no dense I-vectors, no
 * padding to the longest user, and no [nnz × h] intermediate.
 *
 * <p>Input dropout for training is applied here ({@link #dropout}), because the engine offers no
 * way to drop entries of a sparse tensor in place.
 */
public final class SparseBatch {

  private final int rows;
  private final long[] rowOf;
  private final long[] items;
  private final float[] values;

  private SparseBatch(int rows, long[] rowOf, long[] items, float[] values) {
    this.rows = rows;
    this.rowOf = rowOf;
    this.items = items;
    this.values = values;
  }

  /** Builds a batch from each user's model item indices (binary interactions). */
  public static SparseBatch of(List<int[]> users) {
    int nnz = 0;
    for (int[] u : users) {
      nnz += u.length;
    }
    long[] rowOf = new long[nnz];
    long[] items = new long[nnz];
    float[] values = new float[nnz];
    int k = 0;
    for (int r = 0; r < users.size(); r++) {
      int[] u = users.get(r);
      float v = (float) (1.0 / Math.sqrt(Math.max(1, u.length)));
      for (int i : u) {
        rowOf[k] = r;
        items[k] = i;
        values[k++] = v;
      }
    }
    return new SparseBatch(users.size(), rowOf, items, values);
  }

  public int rows() {
    return rows;
  }

  public int nnz() {
    return items.length;
  }

  /**
   * Inverted dropout, as tf.nn.dropout on the normalised input: each entry is dropped with
   * probability {@code rate} and survivors are scaled by 1/(1 − rate).
   */
  public SparseBatch dropout(float rate, SplittableRandom rnd) {
    if (rate <= 0f) {
      return this;
    }
    long[] r = new long[items.length];
    long[] i = new long[items.length];
    float[] v = new float[items.length];
    int n = 0;
    for (int j = 0; j < items.length; j++) {
      if (rnd.nextDouble() >= rate) {
        r[n] = rowOf[j];
        i[n] = items[j];
        v[n++] = values[j] / (1f - rate);
      }
    }
    return new SparseBatch(rows, Arrays.copyOf(r, n), Arrays.copyOf(i, n), Arrays.copyOf(v, n));
  }

  /**
   * The block's sparse input: a COO tensor [B × numItems].
   *
   * <p>Built from index and value arrays that stay attached to {@code manager} for as long as the
   * sparse tensor lives. The engine's COO tensor shares their memory, and {@code NDManager.createCoo}
   * closes its own copies as soon as it returns, which leaves the tensor on direct buffers that the
   * garbage collector may free at any time: a rare, silent corruption of the batch that surfaced as
   * NaN losses on one CI machine.
   */
  public NDList toNDList(NDManager manager, int numItems) {
    long[] coordinates = Arrays.copyOf(rowOf, 2 * rowOf.length);
    System.arraycopy(items, 0, coordinates, rowOf.length, items.length);
    NDArray indices = manager.create(coordinates, new Shape(2, items.length));
    NDArray vals = manager.create(values);
    return new NDList(JniUtils.createSparseCoo((PtNDArray) indices, (PtNDArray) vals, new Shape(rows, numItems)));
  }

  /** Positions of the batch's (user, item) pairs in a row-major [B × numItems] array. */
  public NDArray flatPositions(NDManager manager, int numItems) {
    long[] pos = new long[items.length];
    for (int j = 0; j < items.length; j++) {
      pos[j] = rowOf[j] * numItems + items[j];
    }
    return manager.create(pos, new Shape(pos.length));
  }
}
