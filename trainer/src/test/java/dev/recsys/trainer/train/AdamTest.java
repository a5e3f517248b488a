package dev.recsys.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.nn.Scalar;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Adam, fused and as engine operations, against the same update written out in plain double math (TF1's formulation). */
class AdamTest {

  @ParameterizedTest(name = "fused={0}")
  @ValueSource(booleans = {true, false})
  void matchesPlainJavaAdamAndClearsGradients(boolean fused) {
    DjlRuntime.disableGradientRecording();
    int n = 600_001; // several parallel chunks of the fused update, the last one partial
    SplittableRandom rnd = new SplittableRandom(3);
    float[] w0 = new float[n];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      w0[i] = (float) (rnd.nextDouble(-2, 2));
      w[i] = w0[i];
    }
    double[] m = new double[n];
    double[] v = new double[n];
    double lr = 0.1;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray p = manager.create(w0);
      p.setRequiresGradient(true);
      Adam adam = new Adam(lr, manager, Map.of("p", p), fused);
      for (int t = 1; t <= 5; t++) {
        // loss = Σ p³ / 3, so the gradient is p²
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          gc.backward(p.pow(Scalar.of(manager, 3)).sum().div(Scalar.of(manager, 3))); // constants the graph keeps: see Scalar
        }
        adam.step(Map.of("p", p));
        double step = lr * Math.sqrt(1 - Math.pow(0.999, t)) / (1 - Math.pow(0.9, t));
        for (int i = 0; i < n; i++) {
          double g = w[i] * w[i];
          m[i] = 0.9 * m[i] + 0.1 * g;
          v[i] = 0.999 * v[i] + 0.001 * g * g;
          w[i] -= step * m[i] / (Math.sqrt(v[i]) + 1e-8);
        }
        float[] got = p.toFloatArray();
        for (int i = 0; i < n; i++) {
          assertEquals(w[i], got[i], 1e-5, "step " + t + " weight " + i);
        }
        try (NDArray g = p.getGradient()) {
          assertEquals(0f, g.abs().max().getFloat(), "gradient cleared after step " + t);
        }
      }
    }
  }
}
