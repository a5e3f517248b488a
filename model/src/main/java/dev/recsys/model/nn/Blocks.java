package dev.recsys.model.nn;

import dev.recsys.model.Architecture;

/** Creates the block for an architecture. */
public final class Blocks {

  private Blocks() {}

  /** A block in the serving layout. */
  public static MultAutoencoderBlock create(Architecture arch) {
    return create(arch, MultAutoencoderBlock.DecoderLayout.IN_OUT);
  }

  public static MultAutoencoderBlock create(Architecture arch, MultAutoencoderBlock.DecoderLayout layout) {
    return switch (arch.type()) {
      case VAE -> new MultVaeBlock(arch, layout);
      case DAE -> new MultDaeBlock(arch, layout);
    };
  }
}
