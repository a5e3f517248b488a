package dev.recsys.model;

import java.util.SplittableRandom;

/** Seeded Fisher-Yates shuffles, so every split, epoch and sample is reproducible from its seed. */
public final class Shuffle {

  private Shuffle() {}

  /** A uniformly random permutation of 0..n-1. */
  public static int[] permutation(int n, SplittableRandom rnd) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    inPlace(a, rnd);
    return a;
  }

  /** k distinct values of 0..n-1, uniformly (a partial Fisher-Yates: k draws). */
  public static int[] sample(int n, int k, SplittableRandom rnd) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = 0; i < k; i++) {
      int j = i + rnd.nextInt(n - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return java.util.Arrays.copyOf(a, k);
  }

  /** Shuffles the whole array in place. */
  public static void inPlace(int[] a, SplittableRandom rnd) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
