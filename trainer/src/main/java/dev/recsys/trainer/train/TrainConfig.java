package dev.recsys.trainer.train;

import dev.recsys.model.ModelType;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training settings. The defaults are the paper's and the reference code's.
 *
 * @param model vae or dae
 * @param hidden hidden layer sizes (VAE: [600]; DAE: [])
 * @param latent bottleneck size (200)
 * @param epochs training epochs (200)
 * @param batchSize users per batch (500)
 * @param learningRate Adam learning rate (1e-3)
 * @param inputDropout dropout on the normalised input (0.5)
 * @param annealCap the VAE's β cap (0.2)
 * @param totalAnnealSteps the VAE's β reaches the cap after this many updates (200,000)
 * @param daeL2 the DAE's L2 coefficient λ on the weights; the reference uses 0.01 / batch size
 * @param seed seeds the shuffling, dropout and sampling
 * @param evalBatchSize users per evaluation batch
 */
public record TrainConfig(
    ModelType model,
    int[] hidden,
    int latent,
    int epochs,
    int batchSize,
    double learningRate,
    float inputDropout,
    double annealCap,
    long totalAnnealSteps,
    double daeL2,
    long seed,
    int evalBatchSize) {

  public static TrainConfig paper(ModelType model) {
    return new TrainConfig(
        model, model == ModelType.VAE ? new int[] {600} : new int[0], 200, 200, 500, 1e-3, 0.5f, 0.2, 200_000,
        0.01 / 500, 98765, 500);
  }

  public TrainConfig withEpochs(int e) {
    return new TrainConfig(model, hidden, latent, e, batchSize, learningRate, inputDropout, annealCap, totalAnnealSteps, daeL2, seed, evalBatchSize);
  }

  public TrainConfig withSeed(long s) {
    return new TrainConfig(model, hidden, latent, epochs, batchSize, learningRate, inputDropout, annealCap, totalAnnealSteps, daeL2, s, evalBatchSize);
  }

  public TrainConfig withBatchSize(int b) {
    return new TrainConfig(model, hidden, latent, epochs, b, learningRate, inputDropout, annealCap, totalAnnealSteps, 0.01 / b, seed, evalBatchSize);
  }

  public TrainConfig withAnnealing(double cap, long steps) {
    return new TrainConfig(model, hidden, latent, epochs, batchSize, learningRate, inputDropout, cap, steps, daeL2, seed, evalBatchSize);
  }

  public TrainConfig withLayers(int[] h, int l) {
    return new TrainConfig(model, h, l, epochs, batchSize, learningRate, inputDropout, annealCap, totalAnnealSteps, daeL2, seed, evalBatchSize);
  }

  /** β for the given number of completed updates: min(cap, step / total). */
  public double beta(long updates) {
    return Math.min(annealCap, (double) updates / totalAnnealSteps);
  }

  /** For the manifest and report. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model.id());
    m.put("hidden", hidden);
    m.put("latent", latent);
    m.put("epochs", epochs);
    m.put("batchSize", batchSize);
    m.put("learningRate", learningRate);
    m.put("inputDropout", inputDropout);
    if (model == ModelType.VAE) {
      m.put("annealCap", annealCap);
      m.put("totalAnnealSteps", totalAnnealSteps);
    } else {
      m.put("l2", daeL2);
    }
    m.put("seed", seed);
    return m;
  }
}
