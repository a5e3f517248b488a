package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.recsys.model.Architecture;
import dev.recsys.model.bundle.Tensor;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/** Moves parameters between a block and plain {@link Tensor}s. */
public final class BlockWeights {

  private BlockWeights() {}

  /** The parameter names and shapes an architecture needs, in declaration order. */
  public static Map<String, long[]> expectedShapes(Architecture arch) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : Blocks.create(arch, 0f).getDirectParameters()) {
      out.put(p.getKey(), p.getValue().getShape().getShape());
    }
    return out;
  }

  /** Copies an initialised block's parameters out of the engine. */
  public static Map<String, Tensor> export(MultAutoencoderBlock block) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      NDArray a = p.getValue().getArray();
      out.put(p.getKey(), new Tensor(a.getShape().getShape(), a.toFloatArray()));
    }
    return out;
  }

  /**
   * Initialises the block on the manager's device and overwrites every parameter with the given
   * tensors; names and shapes must match exactly.
   */
  public static void load(MultAutoencoderBlock block, NDManager manager, Map<String, Tensor> tensors) {
    Architecture arch = block.architecture();
    block.initialize(manager, DataType.FLOAT32, new Shape(1, arch.numItems()));
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      Tensor t = tensors.get(p.getKey());
      if (t == null) {
        throw new IllegalArgumentException("no tensor for parameter " + p.getKey());
      }
      NDArray target = p.getValue().getArray();
      if (!target.getShape().equals(new Shape(t.shape()))) {
        throw new IllegalArgumentException(
            p.getKey() + ": tensor shape " + new Shape(t.shape()) + " != parameter shape " + target.getShape());
      }
      target.set(FloatBuffer.wrap(t.data()));
    }
  }
}
