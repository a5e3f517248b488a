package dev.recsys.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.recsys.model.DjlRuntime;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Adam against the same update written out in plain Java (TF1's formulation). */
class AdamTest {

  @Test
  void matchesPlainJavaAdam() {
    DjlRuntime.disableGradientRecording();
    float[] w0 = {0.5f, -1.0f, 2.0f};
    double[] w = {0.5, -1.0, 2.0};
    double[] m = new double[3];
    double[] v = new double[3];
    double lr = 0.1;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.create(w0);
      p.setRequiresGradient(true);
      Adam adam = new Adam(lr, manager, Map.of("p", p));
      for (int t = 1; t <= 5; t++) {
        // loss = Σ p³ / 3, so the gradient is p²
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(p.pow(3).sum().div(3));
        }
        adam.step(Map.of("p", p));
        try (NDArray g = p.getGradient()) {
          g.subi(g);
        }
        double step = lr * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
        for (int i = 0; i < 3; i++) {
          double g = w[i] * w[i];
          m[i] = 0.9 * m[i] + 0.1 * g;
          v[i] = 0.999 * v[i] + 0.001 * g * g;
          w[i] -= step * m[i] / (Math.sqrt(v[i]) + 1e-8);
        }
        float[] got = p.toFloatArray();
        for (int i = 0; i < 3; i++) {
          assertEquals(w[i], got[i], 1e-5, "step " + t + " weight " + i);
        }
      }
    }
  }
}
