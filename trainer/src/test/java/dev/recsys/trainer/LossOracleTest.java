package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.ReferenceForward;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.TrainConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The training objective recomputed in plain-Java double math and compared with what {@link
 * AutoencoderTrainer#step} reports. Input dropout is 0 and the weights are fixed, so the forward is
 * deterministic except for the VAE's sample, which the tests either keep out of the compared value
 * (the KL term depends on μ and log σ² only) or make exact (σ = e^−30, so z = μ in float32).
 */
class LossOracleTest {

  private static final int ITEMS = 60;
  private static final double TOLERANCE = 1e-5; // relative; the engine computes in float32

  private static final List<int[]> USERS = users();

  private static List<int[]> users() {
    SplittableRandom rnd = new SplittableRandom(4);
    List<int[]> out = new ArrayList<>();
    for (int u = 0; u < 7; u++) {
      out.add(rnd.ints(3 + rnd.nextInt(20), 0, ITEMS).distinct().toArray());
    }
    return out;
  }

  /** Small layers, one batch of all users, no input dropout; the rest as the paper. */
  private static TrainConfig config(ModelType type, double daeL2, double annealCap, long totalAnnealSteps) {
    return new TrainConfig(
        type, type == ModelType.VAE ? new int[] {16} : new int[0], 8, 1, USERS.size(), 1e-3, 0f,
        annealCap, totalAnnealSteps, daeL2, 3, 100);
  }

  @Test
  void daeLossIsMultinomialLikelihoodPlusL2OnWeightMatricesOnly() {
    double lambda = 0.7;
    try (AutoencoderTrainer t = new AutoencoderTrainer(config(ModelType.DAE, lambda, 0.2, 200_000), ITEMS, Device.cpu())) {
      Architecture arch = t.architecture();
      Map<String, Tensor> w = RandomBundle.weights(arch, 11);
      t.loadWeights(w);
      double[] l = t.step(USERS);
      double negLl = negLogLikelihood(arch, w);
      // the reference: l2_regularizer(λ) is λ·½‖W‖² per weight matrix, and the loss adds it twice
      double squares = 0;
      for (String name : List.of("enc0.weight", "dec0.weight")) {
        for (float v : w.get(name).data()) {
          squares += (double) v * v;
        }
      }
      double reg = 2 * (0.5 * lambda * squares);
      assertRelative(negLl, l[1], "reconstruction");
      assertRelative(negLl + reg, l[0], "loss");
      assertEquals(0.0, l[2], "no KL term");
    }
  }

  @Test
  void vaeKlTermIsMeanOverUsersOfTheGaussianKl() {
    try (AutoencoderTrainer t = new AutoencoderTrainer(config(ModelType.VAE, 0, 0.2, 200_000), ITEMS, Device.cpu())) {
      Architecture arch = t.architecture();
      Map<String, Tensor> w = RandomBundle.weights(arch, 12);
      t.loadWeights(w);
      assertRelative(kl(arch, w), t.step(USERS)[2], "KL");
    }
  }

  @Test
  void vaeLossAddsBetaTimesKlWithBetaAnnealedPerUpdate() {
    double cap = 0.3;
    long annealSteps = 4;
    try (AutoencoderTrainer t = new AutoencoderTrainer(config(ModelType.VAE, 0, cap, annealSteps), ITEMS, Device.cpu())) {
      Architecture arch = t.architecture();
      Map<String, Tensor> w = withTinySigma(arch, RandomBundle.weights(arch, 13));
      double negLl = negLogLikelihood(arch, w);
      double kl = kl(arch, w);
      for (int step = 0; step < 4; step++) {
        t.loadWeights(w); // the same weights for every update, so that only β changes
        double[] l = t.step(USERS);
        double beta = Math.min(cap, (double) step / annealSteps); // 0, 0.25, then the cap 0.3
        assertRelative(negLl, l[1], "reconstruction at update " + step);
        assertRelative(kl, l[2], "KL at update " + step);
        assertRelative(negLl + beta * kl, l[0], "loss at update " + step);
      }
    }
  }

  /** −mean over users of Σ_i x_i · log softmax(logits)_i, with binary x over all items. */
  private static double negLogLikelihood(Architecture arch, Map<String, Tensor> w) {
    double sum = 0;
    for (int[] items : USERS) {
      double[] logits = ReferenceForward.logits(arch, w, items);
      double max = Arrays.stream(logits).max().orElseThrow();
      double logSumExp = max + Math.log(Arrays.stream(logits).map(v -> Math.exp(v - max)).sum());
      double[] x = new double[ITEMS];
      for (int i : items) {
        x[i] = 1;
      }
      for (int i = 0; i < ITEMS; i++) {
        sum += x[i] * (logits[i] - logSumExp);
      }
    }
    return -sum / USERS.size();
  }

  /** Mean over users of −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j). */
  private static double kl(Architecture arch, Map<String, Tensor> w) {
    int latent = arch.latent();
    double sum = 0;
    for (int[] items : USERS) {
      boolean[] all = new boolean[items.length];
      Arrays.fill(all, true);
      double[] h = ReferenceForward.encode(arch, w, ReferenceForward.input(ITEMS, items, all, 0));
      for (int j = 0; j < latent; j++) {
        double mu = h[j];
        double logvar = h[latent + j];
        sum += -0.5 * (1 + logvar - mu * mu - Math.exp(logvar));
      }
    }
    return sum / USERS.size();
  }

  /** The weights with log σ² = −60 for every user (zero weights, bias −60), so the VAE's sample is μ. */
  private static Map<String, Tensor> withTinySigma(Architecture arch, Map<String, Tensor> weights) {
    Map<String, Tensor> out = new LinkedHashMap<>(weights);
    String last = "enc" + (arch.encoderDims().length - 2);
    Tensor w = weights.get(last + ".weight");
    float[] wd = w.data().clone();
    float[] bd = weights.get(last + ".bias").data().clone();
    int outputs = (int) w.shape()[1];
    for (int o = arch.latent(); o < outputs; o++) {
      bd[o] = -60f;
      for (int i = 0; i < w.shape()[0]; i++) {
        wd[i * outputs + o] = 0f;
      }
    }
    out.put(last + ".weight", new Tensor(w.shape(), wd));
    out.put(last + ".bias", new Tensor(new long[] {outputs}, bd));
    return out;
  }

  private static void assertRelative(double expected, double actual, String what) {
    assertEquals(expected, actual, TOLERANCE * Math.abs(expected), what);
  }
}
