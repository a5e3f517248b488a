package dev.recsys.model;

import java.util.Map;

/**
 * An independent plain-Java (double precision) forward pass of Mult-VAE / Mult-DAE in inference
 * mode, written from the paper and the reference code, not from the DJL block.
 */
final class ReferenceForward {

  private ReferenceForward() {}

  /** Logits for a binary input given as model indices. */
  static double[] logits(Architecture arch, Map<String, Tensor> w, int[] items) {
    int n = arch.numItems();
    double[] x = new double[n];
    for (int i : items) {
      x[i] = 1.0;
    }
    double norm = 0;
    for (double v : x) {
      norm += v * v;
    }
    norm = Math.max(Math.sqrt(norm), 1e-12);
    for (int i = 0; i < n; i++) {
      x[i] /= norm;
    }
    int encLayers = arch.encoderDims().length - 1;
    double[] h = x;
    for (int k = 0; k < encLayers; k++) {
      h = affine(h, w.get("enc" + k + ".weight"), w.get("enc" + k + ".bias"));
      if (k + 1 < encLayers) {
        h = tanh(h);
      }
    }
    double[] z;
    if (arch.type() == ModelType.VAE) {
      z = new double[arch.latent()];
      System.arraycopy(h, 0, z, 0, z.length); // μ is the first half
    } else {
      z = tanh(h);
    }
    int decLayers = arch.decoderDims().length - 1;
    for (int k = 0; k < decLayers; k++) {
      z = affine(z, w.get("dec" + k + ".weight"), w.get("dec" + k + ".bias"));
      if (k + 1 < decLayers) {
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
