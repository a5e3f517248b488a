package dev.recsys.model;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The layer sizes of a Mult-VAE or Mult-DAE.
 *
 * <p>The encoder maps I items through {@code hidden} to {@code latent}; the decoder mirrors it. For
 * the paper's Mult-VAE that is I → 600 → 200 → 600 → I, for Mult-DAE I → 200 → I.
 *
 * @param type the model type
 * @param numItems I, the size of the item vocabulary
 * @param hidden the hidden layer sizes between the input and the latent layer (may be empty)
 * @param latent the size of the bottleneck
 */
public record Architecture(ModelType type, int numItems, int[] hidden, int latent) {

  public Architecture {
    if (numItems < 1 || latent < 1 || Arrays.stream(hidden).anyMatch(h -> h < 1)) {
      throw new IllegalArgumentException("layer sizes must be positive: " + this);
    }
    hidden = hidden.clone();
  }

  /** The paper's Mult-VAE: I → 600 → 200 → 600 → I. */
  public static Architecture paperVae(int numItems) {
    return new Architecture(ModelType.VAE, numItems, new int[] {600}, 200);
  }

  /** The paper's Mult-DAE: I → 200 → I. */
  public static Architecture paperDae(int numItems) {
    return new Architecture(ModelType.DAE, numItems, new int[0], 200);
  }

  public static Architecture paper(ModelType type, int numItems) {
    return type == ModelType.VAE ? paperVae(numItems) : paperDae(numItems);
  }

  /** Encoder sizes, input first: [I, hidden..., latent]. */
  public int[] encoderDims() {
    int[] dims = new int[hidden.length + 2];
    dims[0] = numItems;
    System.arraycopy(hidden, 0, dims, 1, hidden.length);
    dims[dims.length - 1] = latent;
    return dims;
  }

  /** Decoder sizes, latent first: [latent, reversed hidden..., I]. */
  public int[] decoderDims() {
    int[] enc = encoderDims();
    int[] dec = new int[enc.length];
    for (int i = 0; i < enc.length; i++) {
      dec[i] = enc[enc.length - 1 - i];
    }
    return dec;
  }

  /**
   * The parameters this architecture has, in declaration order, with their shapes in the {@code
   * [in, out]} layout of bundles and exported tensors: {@code enc<k>.weight [in, out]} and {@code
   * enc<k>.bias [out]} for each encoder layer, then {@code dec<k>.weight} and {@code dec<k>.bias}
   * likewise. The VAE's last encoder layer emits μ and log σ², so it has 2·latent outputs. The
   * block declares exactly these and a bundle must hold exactly these, so both read them here.
   */
  public Map<String, long[]> parameterShapes() {
    Map<String, long[]> out = new LinkedHashMap<>();
    int[] enc = encoderDims();
    for (int k = 0; k + 1 < enc.length; k++) {
      int width = k + 2 == enc.length && type == ModelType.VAE ? 2 * enc[k + 1] : enc[k + 1];
      out.put("enc" + k + ".weight", new long[] {enc[k], width});
      out.put("enc" + k + ".bias", new long[] {width});
    }
    int[] dec = decoderDims();
    for (int k = 0; k + 1 < dec.length; k++) {
      out.put("dec" + k + ".weight", new long[] {dec[k], dec[k + 1]});
      out.put("dec" + k + ".bias", new long[] {dec[k + 1]});
    }
    return out;
  }

  @Override
  public int[] hidden() {
    return hidden.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Architecture a
        && a.type == type
        && a.numItems == numItems
        && a.latent == latent
        && Arrays.equals(a.hidden, hidden);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * type.hashCode() + numItems) + latent) + Arrays.hashCode(hidden);
  }

  @Override
  public String toString() {
    return type.id() + " " + Arrays.toString(encoderDims()) + " -> " + Arrays.toString(decoderDims());
  }
}
