package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.recsys.model.Architecture;

/** Mult-DAE: the code is tanh of the encoder's last layer; output {@code (logits)} in both modes. */
public final class MultDaeBlock extends MultAutoencoderBlock {

  public MultDaeBlock(Architecture arch, DecoderLayout decoderLayout) {
    super(arch, decoderLayout);
  }

  @Override
  protected Bottleneck bottleneck(NDArray h, boolean training) {
    return new Bottleneck(h.tanh(), new NDList());
  }
}
