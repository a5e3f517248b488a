package dev.recsys.model.scoring;

/**
 * Top-K selection over a row of a flat float array, in plain Java: a bounded min-heap, O(I log K).
 * The heap keeps values next to indices and the current threshold in a local, so the common case
 * (a value below the k-th best) costs one comparison. This measured several times faster than a
 * topK through the engine for one row of 20k logits.
 *
 * <p>For a long row and a small k, a strided sample first estimates a value that a few times k
 * entries reach, one pass keeps only those, and the heap runs on them: most of a heap's cost is
 * the entries it takes in and later drops. When fewer than k entries reach the estimate, the heap
 * runs on the whole row, so the result is always the same.
 */
public final class TopK {

  /** Rows shorter than this go straight to the heap. */
  private static final int PREFILTER_MIN_LENGTH = 4096;
  private static final int SAMPLES = 512;

  private TopK() {}

  /**
   * Returns the indices of the k largest values of {@code values[offset .. offset+length)},
   * largest first, skipping entries equal to {@link Float#NEGATIVE_INFINITY} (the exclusion mark)
   * and NaN. Ties go to the lower index.
   */
  public static int[] select(float[] values, int offset, int length, int k) {
    int cap = Math.max(0, Math.min(k, length));
    if (cap > 0 && length >= PREFILTER_MIN_LENGTH && cap <= length / 16) {
      int[] kept = prefiltered(values, offset, length, cap);
      if (kept != null) {
        return heap(values, offset, kept, kept.length, cap);
      }
    }
    return heap(values, offset, null, length, cap);
  }

  /**
   * The indices, ascending, of the entries at or above the {@code m}-th largest of a strided
   * sample, m chosen so that about 1.5·cap entries are expected to reach it; null when fewer than
   * cap do (or the sample is too thin to estimate).
   */
  private static int[] prefiltered(float[] values, int offset, int length, int cap) {
    int stride = length / SAMPLES;
    float[] sample = new float[SAMPLES];
    int n = 0;
    for (int j = 0; j < SAMPLES; j++) {
      float v = values[offset + j * stride];
      if (v > Float.NEGATIVE_INFINITY) { // false for NaN too
        sample[n++] = v;
      }
    }
    int m = (int) Math.ceil(1.5 * cap * SAMPLES / length) + 4;
    if (m > n) {
      return null;
    }
    int[] top = heap(sample, 0, null, n, m);
    float threshold = sample[top[m - 1]];
    int[] kept = new int[4 * cap + 64];
    int c = 0;
    for (int i = 0; i < length; i++) {
      if (values[offset + i] >= threshold) { // false for NaN and the exclusion mark
        if (c == kept.length) {
          kept = java.util.Arrays.copyOf(kept, 2 * c);
        }
        kept[c++] = i;
      }
    }
    // every entry of the top cap is at least the cap-th largest value, hence at least the threshold
    return c >= cap ? java.util.Arrays.copyOf(kept, c) : null;
  }

  /**
   * The heap over {@code count} entries: the row {@code values[offset + i]} for i in [0, count), or
   * for i in {@code at[0 .. count)} (ascending) when {@code at} is given.
   */
  private static int[] heap(float[] values, int offset, int[] at, int count, int cap) {
    float[] hv = new float[cap]; // heap of the best so far, worst at the root
    int[] hi = new int[cap];
    int size = 0;
    float threshold = Float.NEGATIVE_INFINITY; // the root's value once the heap is full
    for (int j = 0; j < count; j++) {
      int i = at == null ? j : at[j];
      float v = values[offset + i];
      if (v <= threshold) { // also skips -inf; a tie with the root loses to its lower index
        continue;
      }
      if (v != v) { // NaN
        continue;
      }
      if (size < cap) {
        hv[size] = v;
        hi[size] = i;
        siftUp(hv, hi, size++);
        if (size == cap) {
          threshold = hv[0];
        }
      } else if (cap > 0) {
        hv[0] = v;
        hi[0] = i;
        siftDown(hv, hi, size);
        threshold = hv[0];
      }
    }
    int[] out = new int[size];
    for (int n = size - 1; n >= 0; n--) { // pop the worst first
      out[n] = hi[0];
      hv[0] = hv[--size];
      hi[0] = hi[size];
      siftDown(hv, hi, size);
    }
    return out;
  }

  /** Whether (v, i) ranks below (w, j): lower value, or equal value and higher index. */
  private static boolean worse(float v, int i, float w, int j) {
    return v < w || (v == w && i > j);
  }

  private static void siftUp(float[] hv, int[] hi, int n) {
    float v = hv[n];
    int i = hi[n];
    while (n > 0) {
      int parent = (n - 1) >>> 1;
      if (!worse(v, i, hv[parent], hi[parent])) {
        break;
      }
      hv[n] = hv[parent];
      hi[n] = hi[parent];
      n = parent;
    }
    hv[n] = v;
    hi[n] = i;
  }

  private static void siftDown(float[] hv, int[] hi, int size) {
    if (size == 0) {
      return;
    }
    float v = hv[0];
    int i = hi[0];
    int n = 0;
    while (true) {
      int child = 2 * n + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && worse(hv[child + 1], hi[child + 1], hv[child], hi[child])) {
        child++;
      }
      if (!worse(hv[child], hi[child], v, i)) {
        break;
      }
      hv[n] = hv[child];
      hi[n] = hi[child];
      n = child;
    }
    hv[n] = v;
    hi[n] = i;
  }
}
