package dev.recsys.trainer.data;

import java.util.Arrays;

/** A growable int array: millions of ids without boxing. */
final class IntList {

  private int[] a = new int[1024];
  private int size;

  void add(int v) {
    if (size == a.length) {
      a = Arrays.copyOf(a, a.length * 2);
    }
    a[size++] = v;
  }

  int get(int i) {
    return a[i];
  }

  int size() {
    return size;
  }

  int[] toArray() {
    return Arrays.copyOf(a, size);
  }

  /** The backing array (valid up to {@link #size()}). */
  int[] raw() {
    return a;
  }
}
