package dev.recsys.model;

import java.util.Arrays;
import java.util.Map;

/**
 * An independent plain-Java (double precision) forward pass of Mult-VAE / Mult-DAE, written from
 * the paper and the reference code, not from the DJL block. Shared with the trainer's tests (test
 * jar) for the loss oracle.
 */
public final class ReferenceForward {

  private ReferenceForward() {}

  /** Inference logits for a binary input given as model indices. */
  public static double[] logits(Architecture arch, Map<String, Tensor> w, int[] items) {
    boolean[] all = new boolean[items.length];
    Arrays.fill(all, true);
    return decode(arch, w, code(arch, encode(arch, w, input(arch.numItems(), items, all, 0))));
  }

  /**
   * The first layer's input: the binary row L2-normalised over all of the user's items, then
   * inverted dropout (as tf.nn.dropout on the normalised input): entry {@code items[j]} is kept
   * when {@code kept[j]} and then scaled by 1/(1 − rate), else 0.
   */
  public static double[] input(int numItems, int[] items, boolean[] kept, double rate) {
    double[] x = new double[numItems];
    double norm = Math.max(Math.sqrt(items.length), 1e-12);
    for (int j = 0; j < items.length; j++) {
      x[items[j]] = kept[j] ? 1.0 / norm / (1 - rate) : 0;
    }
    return x;
  }

  /**
   * The encoder's last affine output: for the VAE μ (first latent values) then log σ², for the
   * DAE the code before its tanh.
   */
  public static double[] encode(Architecture arch, Map<String, Tensor> w, double[] x) {
    int layers = arch.encoderDims().length - 1;
    double[] h = x;
    for (int k = 0; k < layers; k++) {
      h = affine(h, w.get("enc" + k + ".weight"), w.get("enc" + k + ".bias"));
      if (k + 1 < layers) {
        h = tanh(h);
      }
    }
    return h;
  }

  /** The decoder's input at inference: μ for the VAE, tanh of the encoding for the DAE. */
  public static double[] code(Architecture arch, double[] encoded) {
    return arch.type() == ModelType.VAE ? Arrays.copyOf(encoded, arch.latent()) : tanh(encoded);
  }

  /** Logits from a code. */
  public static double[] decode(Architecture arch, Map<String, Tensor> w, double[] z) {
    int layers = arch.decoderDims().length - 1;
    for (int k = 0; k < layers; k++) {
      z = affine(z, w.get("dec" + k + ".weight"), w.get("dec" + k + ".bias"));
      if (k + 1 < layers) {
        z = tanh(z);
      }
    }
    return z;
  }

  private static double[] affine(double[] x, Tensor weight, Tensor bias) {
    int in = (int) weight.shape()[0];
    int out = (int) weight.shape()[1];
    double[] y = new double[out];
    for (int o = 0; o < out; o++) {
      y[o] = bias.data()[o];
    }
    for (int i = 0; i < in; i++) {
      if (x[i] == 0) {
        continue;
      }
      for (int o = 0; o < out; o++) {
        y[o] += x[i] * weight.data()[i * out + o];
      }
    }
    return y;
  }

  private static double[] tanh(double[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = Math.tanh(x[i]);
    }
    return y;
  }
}
