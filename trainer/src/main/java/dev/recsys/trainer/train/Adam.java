package dev.recsys.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.recsys.model.bundle.Tensor;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adam exactly as TensorFlow 1's {@code AdamOptimizer} (which the reference used): bias correction
 * folded into the step size, ε = 1e-8. The moments live here rather than inside DJL's optimizer so
 * they can be checkpointed and training resumed exactly.
 */
final class Adam {

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPS = 1e-8;

  private final double lr;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long t;

  Adam(double lr, NDManager manager, Map<String, NDArray> params) {
    this.lr = lr;
    params.forEach(
        (name, p) -> {
          m.put(name, manager.zeros(p.getShape()));
          v.put(name, manager.zeros(p.getShape()));
        });
  }

  /**
   * One update of every parameter from its gradient, in place: m ← β1·m + (1−β1)·g,
   * v ← β2·v + (1−β2)·g², p ← p − step·m/(√v + ε). Written with in-place engine operations; this
   * measured faster than DJL's {@code adamUpdate} for these tensor sizes.
   */
  void step(Map<String, NDArray> params) {
    t++;
    double stepSize = lr * Math.sqrt(1 - Math.pow(BETA2, t)) / (1 - Math.pow(BETA1, t));
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray mi = m.get(e.getKey());
      NDArray vi = v.get(e.getKey());
      try (NDArray g = p.getGradient();
          NDArray g1 = g.mul(1 - BETA1);
          NDArray g2 = g.square()) {
        mi.muli(BETA1).addi(g1);
        vi.muli(BETA2).addi(g2.muli(1 - BETA2));
        try (NDArray denom = vi.sqrt();
            NDArray delta = mi.div(denom.addi(EPS))) {
          p.subi(delta.muli(stepSize));
        }
      }
    }
  }

  long steps() {
    return t;
  }

  /** Moments for a checkpoint, named {@code m/<param>} and {@code v/<param>}. */
  Map<String, Tensor> state() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (String name : List.copyOf(m.keySet())) {
      out.put("m/" + name, tensor(m.get(name)));
      out.put("v/" + name, tensor(v.get(name)));
    }
    return out;
  }

  void restore(Map<String, Tensor> state, long steps) {
    for (String name : m.keySet()) {
      m.get(name).set(FloatBuffer.wrap(state.get("m/" + name).data()));
      v.get(name).set(FloatBuffer.wrap(state.get("v/" + name).data()));
    }
    t = steps;
  }

  private static Tensor tensor(NDArray a) {
    return new Tensor(a.getShape().getShape(), a.toFloatArray());
  }
}
