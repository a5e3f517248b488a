package dev.recsys.trainer.train;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.recsys.model.ModelType;

/**
 * Training settings. The defaults are the paper's and the reference code's; {@link #builder}
 * changes the ones a run sets.
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
 * @param daeL2 the DAE's L2 coefficient λ on the weights (0.01 / batch size, see {@link Builder#build})
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

  /** The paper's settings. */
  public static TrainConfig paper(ModelType model) {
    return builder(model).build();
  }

  /** Starts from the paper's settings for {@code model}. */
  public static Builder builder(ModelType model) {
    return new Builder(model);
  }

  /** The paper's settings, with the ones a run changes. */
  public static final class Builder {
    private final ModelType model;
    private int[] hidden;
    private int latent = 200;
    private int epochs = 200;
    private int batchSize = 500;
    private double annealCap = 0.2;
    private long totalAnnealSteps = 200_000;
    private long seed = 98765;
    // the paper's, and no run changes them
    private final double learningRate = 1e-3;
    private final float inputDropout = 0.5f;
    private final int evalBatchSize = 500;

    private Builder(ModelType model) {
      this.model = model;
      this.hidden = model == ModelType.VAE ? new int[] {600} : new int[0];
    }

    public Builder hidden(int... sizes) {
      this.hidden = sizes.clone();
      return this;
    }

    public Builder latent(int size) {
      this.latent = size;
      return this;
    }

    public Builder epochs(int count) {
      this.epochs = count;
      return this;
    }

    public Builder batchSize(int users) {
      this.batchSize = users;
      return this;
    }

    /** The VAE's β: it grows linearly to {@code cap} over {@code steps} updates. */
    public Builder annealing(double cap, long steps) {
      this.annealCap = cap;
      this.totalAnnealSteps = steps;
      return this;
    }

    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    public TrainConfig build() {
      // The reference code sets the DAE's λ to 0.01 / batch size; derived here, from the final
      // batch size, so whichever order the settings come in the two stay consistent.
      double daeL2 = 0.01 / batchSize;
      return new TrainConfig(
          model, hidden, latent, epochs, batchSize, learningRate, inputDropout, annealCap, totalAnnealSteps, daeL2, seed,
          evalBatchSize);
    }
  }

  /** β for the given number of completed updates: min(cap, step / total). */
  public double beta(long updates) {
    return Math.min(annealCap, (double) updates / totalAnnealSteps);
  }

  /**
   * The settings as report.json, the bundle manifest and the checkpoint record them: the VAE's
   * annealing or the DAE's L2, whichever the model uses.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Hyperparameters(
      String model,
      int[] hidden,
      int latent,
      int epochs,
      int batchSize,
      double learningRate,
      float inputDropout,
      Double annealCap,
      Long totalAnnealSteps,
      Double l2,
      long seed) {}

  public Hyperparameters hyperparameters() {
    boolean vae = model == ModelType.VAE;
    return new Hyperparameters(
        model.id(), hidden, latent, epochs, batchSize, learningRate, inputDropout, vae ? annealCap : null,
        vae ? totalAnnealSteps : null, vae ? null : daeL2, seed);
  }
}
