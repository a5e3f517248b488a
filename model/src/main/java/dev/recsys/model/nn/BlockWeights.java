package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.recsys.model.Architecture;
import dev.recsys.model.Tensor;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Moves parameters between a block and plain {@link Tensor}s. Tensors hold every weight {@code
 * [in, out]}, whatever layout the block keeps in the engine ({@link
 * MultAutoencoderBlock.DecoderLayout}).
 */
public final class BlockWeights {

  private BlockWeights() {}

  /** Copies an initialised block's parameters out of the engine. */
  public static Map<String, Tensor> export(MultAutoencoderBlock block) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      NDArray a = p.getValue().getArray();
      long[] shape = a.getShape().getShape();
      float[] data = a.toFloatArray();
      out.put(p.getKey(), block.storedOutIn(p.getKey())
          ? new Tensor(new long[] {shape[1], shape[0]}, transpose(data, (int) shape[0], (int) shape[1]))
          : new Tensor(shape, data));
    }
    return out;
  }

  /**
   * Initialises the block on the manager's device and overwrites every parameter with the given
   * tensors; names and shapes must match exactly.
   */
  public static void load(MultAutoencoderBlock block, NDManager manager, Map<String, Tensor> tensors) {
    block.initialize(manager, DataType.FLOAT32, new Shape(1, block.architecture().numItems()));
    set(block, tensors);
  }

  /** Overwrites every parameter of an initialised block with the given tensors. */
  public static void set(MultAutoencoderBlock block, Map<String, Tensor> tensors) {
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      Tensor t = tensors.get(p.getKey());
      if (t == null) {
        throw new IllegalArgumentException("no tensor for parameter " + p.getKey());
      }
      NDArray target = p.getValue().getArray();
      long[] stored = target.getShape().getShape();
      boolean outIn = block.storedOutIn(p.getKey());
      Shape expected = outIn ? new Shape(stored[1], stored[0]) : new Shape(stored);
      if (!new Shape(t.shape()).equals(expected)) {
        throw new IllegalArgumentException(p.getKey() + ": tensor shape " + new Shape(t.shape()) + " != parameter shape " + expected);
      }
      float[] data = outIn ? transpose(t.data(), (int) stored[1], (int) stored[0]) : t.data();
      target.set(FloatBuffer.wrap(data));
    }
  }

  /** The transpose of a row-major {@code [rows × cols]} matrix. */
  public static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    // in blocks, so that reads and writes both stay within cached lines
    final int tile = 64;
    for (int r0 = 0; r0 < rows; r0 += tile) {
      for (int c0 = 0; c0 < cols; c0 += tile) {
        for (int r = r0; r < Math.min(rows, r0 + tile); r++) {
          for (int c = c0; c < Math.min(cols, c0 + tile); c++) {
            t[c * rows + r] = a[r * cols + c];
          }
        }
      }
    }
    return t;
  }
}
