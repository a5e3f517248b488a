package dev.recsys.model;

import java.util.Locale;

/** The two architectures of Liang et al. (2018). */
public enum ModelType {
  /** Mult-VAE: a variational autoencoder with a multinomial likelihood. */
  VAE,
  /** Mult-DAE: a denoising autoencoder with a multinomial likelihood. */
  DAE;

  public static ModelType parse(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
