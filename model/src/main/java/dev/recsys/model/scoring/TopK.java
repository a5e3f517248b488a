package dev.recsys.model.scoring;

/**
 * Top-K selection over a row of a flat float array, in plain Java: a bounded min-heap, O(I log K).
 * This measured several times faster than a topK through the engine for one row of 20k logits.
 */
public final class TopK {

  private TopK() {}

  /**
   * Returns the indices of the k largest values of {@code values[offset .. offset+length)},
   * largest first, skipping entries equal to {@link Float#NEGATIVE_INFINITY} (the exclusion mark)
   * and NaN. Ties go to the lower index.
   */
  public static int[] select(float[] values, int offset, int length, int k) {
    int[] heap = new int[Math.max(0, Math.min(k, length))];
    int size = 0;
    for (int i = 0; i < length; i++) {
      float v = values[offset + i];
      if (v == Float.NEGATIVE_INFINITY || Float.isNaN(v)) {
        continue;
      }
      if (size < heap.length) {
        heap[size] = i;
        siftUp(heap, size++, values, offset);
      } else if (size > 0 && better(v, i, values[offset + heap[0]], heap[0])) {
        heap[0] = i;
        siftDown(heap, size, values, offset);
      }
    }
    int[] out = new int[size];
    for (int n = size - 1; n >= 0; n--) { // pop the worst first
      out[n] = heap[0];
      heap[0] = heap[--size];
      siftDown(heap, size, values, offset);
    }
    return out;
  }

  /** Whether (v, i) ranks above (w, j): higher value, or equal value and lower index. */
  private static boolean better(float v, int i, float w, int j) {
    return v > w || (v == w && i < j);
  }

  private static void siftUp(int[] h, int n, float[] vals, int off) {
    while (n > 0) {
      int parent = (n - 1) >>> 1;
      if (!better(vals[off + h[parent]], h[parent], vals[off + h[n]], h[n])) {
        break;
      }
      swap(h, n, parent);
      n = parent;
    }
  }

  private static void siftDown(int[] h, int size, float[] vals, int off) {
    int n = 0;
    while (true) {
      int l = 2 * n + 1;
      int r = l + 1;
      int worst = n;
      if (l < size && better(vals[off + h[worst]], h[worst], vals[off + h[l]], h[l])) {
        worst = l;
      }
      if (r < size && better(vals[off + h[worst]], h[worst], vals[off + h[r]], h[r])) {
        worst = r;
      }
      if (worst == n) {
        return;
      }
      swap(h, n, worst);
      n = worst;
    }
  }

  private static void swap(int[] h, int a, int b) {
    int t = h[a];
    h[a] = h[b];
    h[b] = t;
  }
}
