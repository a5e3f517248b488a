package dev.recsys.model.nn;

import dev.recsys.model.Architecture;

/** Creates the block for an architecture. */
public final class Blocks {

  /** The paper's input dropout: keep_prob 0.5. */
  public static final float PAPER_INPUT_DROPOUT = 0.5f;

  private Blocks() {}

  /** A block in the serving layout. */
  public static MultAutoencoderBlock create(Architecture arch, float inputDropout) {
    return create(arch, inputDropout, MultAutoencoderBlock.DecoderLayout.IN_OUT);
  }

  public static MultAutoencoderBlock create(Architecture arch, float inputDropout, MultAutoencoderBlock.DecoderLayout layout) {
    return switch (arch.type()) {
      case VAE -> new MultVaeBlock(arch, inputDropout, layout);
      case DAE -> new MultDaeBlock(arch, inputDropout, layout);
    };
  }
}
