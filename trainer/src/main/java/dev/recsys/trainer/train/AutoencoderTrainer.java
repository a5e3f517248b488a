package dev.recsys.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.recsys.model.Architecture;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.Shuffle;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.nn.BlockWeights;
import dev.recsys.model.nn.Blocks;
import dev.recsys.model.nn.MultAutoencoderBlock;
import dev.recsys.model.nn.Scalar;
import dev.recsys.model.nn.SparseBatch;
import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The training loop of one Mult-VAE or Mult-DAE model on one split; {@link
 * dev.recsys.trainer.TrainingPipeline} runs it as one phase of a whole run.
 *
 * <p>It follows the reference's loop: shuffle the training users each epoch, batches of 500, the
 * sparse first layer, Adam, β-annealing for the VAE, validation NDCG@100 after every epoch, and the
 * best epoch's weights kept.
 *
 * <p>Loss per batch, as in the reference: neg_ll = −mean_u Σ_i x_ui · log softmax(logits_u)_i
 * computed only at the user's items (x is binary), plus β · mean_u KL(q(z|x_u) ‖ N(0, I)) for the
 * VAE, or λ Σ‖W‖² over the weight matrices for the DAE.
 */
public final class AutoencoderTrainer implements AutoCloseable {

  /** Hears about progress. */
  public interface Listener {
    default void epochStarted(int epoch, int batches) {}

    default void batchDone(int epoch, int batch, double loss) {}

    default void epochDone(EpochStats stats) {}
  }

  /** What training produced. */
  public record Outcome(List<EpochStats> history, int bestEpoch, double bestValNdcg, Map<String, Tensor> bestWeights) {}

  private final TrainConfig cfg;
  private final Architecture arch;
  private final NDManager manager;
  private final MultAutoencoderBlock block;
  private final ParameterStore store;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final List<NDArray> weights = new ArrayList<>();
  private final Adam adam;
  private long updates;
  private SplittableRandom dropoutRng;

  public AutoencoderTrainer(TrainConfig cfg, int numItems, Device device) {
    this.cfg = cfg;
    this.arch = new Architecture(cfg.model(), numItems, cfg.hidden(), cfg.latent());
    this.manager = NDManager.newBaseManager(device);
    Engine.getInstance().setRandomSeed((int) cfg.seed());
    // decoder [out, in]: the output layer's weight gradient in MKL's fastest layout
    this.block = Blocks.create(arch, MultAutoencoderBlock.DecoderLayout.OUT_IN);
    block.initialize(manager, DataType.FLOAT32, new Shape(1, numItems));
    for (Pair<String, Parameter> p : block.getDirectParameters()) {
      NDArray a = p.getValue().getArray();
      a.setRequiresGradient(true);
      params.put(p.getKey(), a);
      if (p.getValue().getType() == Parameter.Type.WEIGHT) {
        weights.add(a);
      }
    }
    this.store = new ParameterStore(manager, false);
    this.adam = new Adam(cfg.learningRate(), manager, params, true);
    this.dropoutRng = new SplittableRandom(cfg.seed());
  }

  public Architecture architecture() {
    return arch;
  }

  /**
   * Trains for the configured epochs, resuming from {@code checkpointDir} when it holds a
   * checkpoint of the same configuration and data, and writing one there after every epoch.
   */
  public Outcome fit(SplitData data, Path checkpointDir, Listener listener) throws IOException {
    List<EpochStats> history = new ArrayList<>();
    int bestEpoch = 0;
    double bestNdcg = -1;
    Map<String, Tensor> best = null;
    int firstEpoch = 1;
    String fingerprint = checkpointDir == null ? null : data.fingerprint();
    Checkpoint.State resumed = checkpointDir == null ? null : Checkpoint.load(checkpointDir, cfg, fingerprint);
    if (resumed != null) {
      loadWeights(resumed.weights());
      adam.restore(resumed.adam(), resumed.adamSteps());
      updates = resumed.updates();
      history.addAll(resumed.history());
      bestEpoch = resumed.bestEpoch();
      bestNdcg = resumed.bestNdcg();
      best = resumed.best();
      firstEpoch = resumed.epoch() + 1;
    }
    Csr train = data.train();
    int batches = (train.rows() + cfg.batchSize() - 1) / cfg.batchSize();
    for (int epoch = firstEpoch; epoch <= cfg.epochs(); epoch++) {
      // seeded per epoch, so a resumed run draws the same dropout masks and VAE samples
      Engine.getInstance().setRandomSeed((int) (cfg.seed() * 31 + epoch));
      dropoutRng = new SplittableRandom(cfg.seed() * 7919 + epoch);
      int[] order = Shuffle.permutation(train.rows(), new SplittableRandom(cfg.seed() * 1_000_003L + epoch));
      listener.epochStarted(epoch, batches);
      long t0 = System.nanoTime();
      double lossSum = 0;
      double reconSum = 0;
      double klSum = 0;
      for (int b = 0; b < batches; b++) {
        List<int[]> batch = new ArrayList<>(cfg.batchSize());
        for (int k = b * cfg.batchSize(); k < Math.min(order.length, (b + 1) * cfg.batchSize()); k++) {
          batch.add(train.row(order[k]));
        }
        double[] l = step(batch);
        if (!Double.isFinite(l[0])) {
          // continuing would only publish NaN weights; stop where it happened instead
          throw new IllegalStateException(String.format(
              "training diverged: loss %s (reconstruction %s, KL %s) at epoch %d, batch %d of %d, update %d",
              l[0], l[1], l[2], epoch, b + 1, batches, updates));
        }
        lossSum += l[0];
        reconSum += l[1];
        klSum += l[2];
        listener.batchDone(epoch, b + 1, l[0]);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double ndcg = evaluate(data.valTr(), data.valTe()).ndcg100();
      EpochStats stats =
          new EpochStats(epoch, lossSum / batches, reconSum / batches, klSum / batches,
              cfg.model() == ModelType.VAE ? cfg.beta(updates) : 0, ndcg, seconds);
      history.add(stats);
      boolean improved = ndcg > bestNdcg;
      // copied out of the engine (and transposed back to [in, out]) once, for both uses
      Map<String, Tensor> weights = improved || checkpointDir != null ? BlockWeights.export(block) : null;
      if (improved) {
        bestNdcg = ndcg;
        bestEpoch = epoch;
        best = weights;
      }
      listener.epochDone(stats);
      if (checkpointDir != null) {
        Checkpoint.save(
            checkpointDir, cfg, fingerprint,
            new Checkpoint.State(epoch, updates, adam.steps(), bestEpoch, bestNdcg, history, weights, adam.state(), best));
      }
    }
    if (best == null) {
      best = BlockWeights.export(block);
    }
    return new Outcome(history, bestEpoch, bestNdcg, best);
  }

  /**
   * One training update on a batch of users (item indices).
   *
   * @return {loss, reconstruction, KL}
   */
  public double[] step(List<int[]> batch) {
    DjlRuntime.disableGradientRecording(); // only the collector below records, whatever thread we are on
    double beta = cfg.beta(updates);
    double[] out = new double[3];
    try (NDManager sub = manager.newSubManager()) {
      SparseBatch sparse = SparseBatch.of(batch);
      NDList input = sparse.dropout(cfg.inputDropout(), dropoutRng).toNDList(sub, arch.numItems());
      NDArray positions = sparse.flatPositions(sub, arch.numItems());
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDList fwd = block.forward(store, input, true);
        // Σ_i x_ui log softmax(logits_u)_i with binary x: the log-probabilities at the user's items
        // every constant in the graph through Scalar.of: the backward pass reads them (see Scalar)
        NDArray logLik = fwd.get(0).logSoftmax(1).take(positions).sum().div(Scalar.of(sub, batch.size()));
        NDArray recon = logLik.neg();
        NDArray loss = recon;
        if (cfg.model() == ModelType.VAE) {
          NDArray mu = fwd.get(1);
          NDArray logvar = fwd.get(2);
          NDArray kl = logvar.neg().add(logvar.exp()).add(mu.square()).sub(Scalar.of(sub, 1f)).mul(Scalar.of(sub, 0.5f))
              .sum(new int[] {1}).mean();
          loss = recon.add(kl.mul(Scalar.of(sub, (float) beta)));
          out[2] = kl.getFloat();
        } else if (cfg.daeL2() > 0) {
          NDArray reg = sub.zeros(new Shape());
          for (NDArray w : weights) {
            NDArray sq = w.square();
            sq.attach(sub);
            reg = reg.add(sq.sum());
          }
          loss = recon.add(reg.mul(Scalar.of(sub, (float) cfg.daeL2())));
        }
        gc.backward(loss);
        out[0] = loss.getFloat();
        out[1] = recon.getFloat();
      }
      adam.step(params); // also clears the gradients, which PyTorch would accumulate
    }
    updates++;
    return out;
  }

  /** Metrics of the current weights on fold-in / held-out rows. */
  public Metrics evaluate(Csr foldIn, Csr heldOut) {
    return Evaluator.evaluate(foldIn, heldOut, this::logits, cfg.evalBatchSize());
  }

  /** Inference logits [users × items] with the current weights. */
  public float[] logits(List<int[]> users) {
    DjlRuntime.disableGradientRecording();
    try (NDManager sub = manager.newSubManager()) {
      return block.forward(store, SparseBatch.of(users).toNDList(sub, arch.numItems()), false).head().toFloatArray();
    }
  }

  /** Replaces the current weights (for example with the best epoch's). */
  public void loadWeights(Map<String, Tensor> tensors) {
    BlockWeights.set(block, tensors);
  }

  public long updates() {
    return updates;
  }

  @Override
  public void close() {
    manager.close();
  }
}
