package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import dev.recsys.model.Architecture;

/**
 * Mult-VAE. The encoder's last layer emits μ and log σ² (2·latent values). Training samples
 * z = μ + ε·exp(log σ² / 2) and also returns (μ, log σ²) for the KL term; inference decodes μ.
 *
 * <p>Training output: {@code (logits, mu, logvar)}; inference output: {@code (logits)}.
 */
public final class MultVaeBlock extends MultAutoencoderBlock {

  public MultVaeBlock(Architecture arch, DecoderLayout decoderLayout) {
    super(arch, decoderLayout);
  }

  @Override
  protected Bottleneck bottleneck(NDArray h, boolean training) {
    int latent = arch.latent();
    NDArray mu = h.get(new NDIndex(":, :{}", latent));
    if (!training) {
      return new Bottleneck(mu, new NDList());
    }
    NDArray logvar = h.get(new NDIndex(":, {}:", latent));
    NDArray std = logvar.mul(Scalar.of(h.getManager(), 0.5f)).exp();
    NDArray eps = h.getManager().randomNormal(0f, 1f, std.getShape(), std.getDataType(), std.getDevice());
    return new Bottleneck(mu.add(eps.mul(std)), new NDList(mu, logvar));
  }
}
