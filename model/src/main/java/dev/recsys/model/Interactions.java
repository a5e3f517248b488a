package dev.recsys.model;

/**
 * What counts as a positive interaction, defined once for the trainer and the streaming job: a
 * rating strictly above 3.5, which on MovieLens half stars means 4 stars or more (the paper's
 * threshold).
 */
public final class Interactions {

  public static final double POSITIVE_ABOVE = 3.5;

  private Interactions() {}

  public static boolean isPositive(double rating) {
    return rating > POSITIVE_ABOVE;
  }
}
