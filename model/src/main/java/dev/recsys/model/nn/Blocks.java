package dev.recsys.model.nn;

import dev.recsys.model.Architecture;

/** Creates the block for an architecture. */
public final class Blocks {

  /** The paper's input dropout: keep_prob 0.5. */
  public static final float PAPER_INPUT_DROPOUT = 0.5f;

  private Blocks() {}

  public static MultAutoencoderBlock create(Architecture arch, float inputDropout) {
    return switch (arch.type()) {
      case VAE -> new MultVaeBlock(arch, inputDropout);
      case DAE -> new MultDaeBlock(arch, inputDropout);
    };
  }
}
