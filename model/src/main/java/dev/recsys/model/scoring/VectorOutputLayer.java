package dev.recsys.model.scoring;

import dev.recsys.model.Tensor;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The output layer of exact scoring in Java, through the JDK's Vector API: logits = d·W + b for
 * the last hidden activations d {@code [B, h]} of a batch and the bundle's {@code [h, I]} weight.
 *
 * <p>libtorch's CPU GEMM (MKL) is slow at the batch sizes a job forms at moderate load: there, 8
 * users cost almost four times what one does (docs/benchmarks.md). Here the weight is copied once
 * into blocks of {@code 2 · lanes} items, each block's h rows contiguous, so one block (77 KB at
 * h = 600 on AVX-512) streams from memory once per pass and stays in the core's cache while every
 * group of four users multiplies it, their sums held in registers. Only a JVM started with {@code
 * --add-modules=jdk.incubator.vector} can load this class: see {@link Scorer#vectorApi()}.
 */
final class VectorOutputLayer {

  /** The module the JVM must resolve for this class to load. */
  static final String MODULE = "jdk.incubator.vector";

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int LANES = SPECIES.length();
  /** Items per block: two vectors. */
  private static final int WIDTH = 2 * LANES;
  /** Users whose sums share the loads of one block. */
  private static final int GROUP = 4;

  private final int hidden;
  private final int items;
  /** Items covered by whole blocks; the rest are the tail. */
  private final int blocked;
  /** {@code [blocked / WIDTH][hidden][WIDTH]}. */
  private final float[] blocks;
  /** The tail items' weights, item-major: {@code [items - blocked][hidden]}. */
  private final float[] tail;
  private final float[] bias;

  private VectorOutputLayer(int hidden, int items, float[] blocks, float[] tail, float[] bias) {
    this.hidden = hidden;
    this.items = items;
    this.blocked = items - items % WIDTH;
    this.blocks = blocks;
    this.tail = tail;
    this.bias = bias;
  }

  /** The layer of a bundle's {@code [h, I]} weight (row-major) and {@code [I]} bias. */
  static VectorOutputLayer of(Tensor weight, Tensor bias) {
    int h = (int) weight.shape()[0];
    int n = (int) weight.shape()[1];
    float[] w = weight.data();
    int blocked = n - n % WIDTH;
    float[] blocks = new float[h * blocked];
    for (int j = 0; j < blocked; j += WIDTH) {
      for (int k = 0; k < h; k++) {
        System.arraycopy(w, k * n + j, blocks, j * h + k * WIDTH, WIDTH);
      }
    }
    float[] tail = new float[h * (n - blocked)];
    for (int c = blocked; c < n; c++) {
      for (int k = 0; k < h; k++) {
        tail[(c - blocked) * h + k] = w[k * n + c];
      }
    }
    VectorOutputLayer layer = new VectorOutputLayer(h, n, blocks, tail, bias.data());
    layer.warmUp();
    return layer;
  }

  /**
   * Passes over zero activations of one to two groups of users, so that the JIT has compiled the
   * kernel, short last groups included, before the first real batch: interpreted, the Vector API
   * allocates an object per operation and a pass takes hundreds of times longer, and a path the
   * compiled code had never seen sends it back there until it is compiled again.
   */
  private void warmUp() {
    float[] d = new float[2 * GROUP * hidden];
    float[] out = new float[2 * GROUP * items];
    for (int rows = 1; rows <= 2 * GROUP; rows++) {
      logits(d, rows, out, 1);
    }
  }

  /**
   * The logits of {@code rows} users into {@code out[r·I .. (r+1)·I)}, from their activations in
   * {@code hidden[r·h .. (r+1)·h)}; the blocks are split into {@code parallelism} ranges, each
   * computed on the common fork-join pool (1: all on the calling thread).
   */
  void logits(float[] hidden, int rows, float[] out, int parallelism) {
    int nBlocks = blocked / WIDTH;
    int parts = Math.max(1, Math.min(parallelism, nBlocks));
    if (parts == 1) {
      blocks(hidden, rows, out, 0, nBlocks);
    } else {
      IntStream.range(0, parts).parallel().forEach(p -> blocks(hidden, rows, out, nBlocks * p / parts, nBlocks * (p + 1) / parts));
    }
    tail(hidden, rows, out);
  }

  private void blocks(float[] d, int rows, float[] out, int fromBlock, int toBlock) {
    int h = hidden;
    for (int blk = fromBlock; blk < toBlock; blk++) {
      int j = blk * WIDTH;
      int base = j * h;
      for (int r0 = 0; r0 < rows; r0 += GROUP) {
        // a short last group repeats its last user rather than branch in the inner loop
        int d0 = r0 * h;
        int d1 = Math.min(r0 + 1, rows - 1) * h;
        int d2 = Math.min(r0 + 2, rows - 1) * h;
        int d3 = Math.min(r0 + 3, rows - 1) * h;
        FloatVector lo = FloatVector.fromArray(SPECIES, bias, j);
        FloatVector hi = FloatVector.fromArray(SPECIES, bias, j + LANES);
        FloatVector a0 = lo, b0 = hi, a1 = lo, b1 = hi, a2 = lo, b2 = hi, a3 = lo, b3 = hi;
        for (int k = 0; k < h; k++) {
          int at = base + k * WIDTH;
          FloatVector wLo = FloatVector.fromArray(SPECIES, blocks, at);
          FloatVector wHi = FloatVector.fromArray(SPECIES, blocks, at + LANES);
          FloatVector s = FloatVector.broadcast(SPECIES, d[d0 + k]);
          a0 = wLo.fma(s, a0);
          b0 = wHi.fma(s, b0);
          s = FloatVector.broadcast(SPECIES, d[d1 + k]);
          a1 = wLo.fma(s, a1);
          b1 = wHi.fma(s, b1);
          s = FloatVector.broadcast(SPECIES, d[d2 + k]);
          a2 = wLo.fma(s, a2);
          b2 = wHi.fma(s, b2);
          s = FloatVector.broadcast(SPECIES, d[d3 + k]);
          a3 = wLo.fma(s, a3);
          b3 = wHi.fma(s, b3);
        }
        int o = r0 * items + j;
        a0.intoArray(out, o);
        b0.intoArray(out, o + LANES);
        if (r0 + 1 < rows) {
          a1.intoArray(out, o + items);
          b1.intoArray(out, o + items + LANES);
        }
        if (r0 + 2 < rows) {
          a2.intoArray(out, o + 2 * items);
          b2.intoArray(out, o + 2 * items + LANES);
        }
        if (r0 + 3 < rows) {
          a3.intoArray(out, o + 3 * items);
          b3.intoArray(out, o + 3 * items + LANES);
        }
      }
    }
  }

  /** The items after the last whole block: plain dot products. */
  private void tail(float[] d, int rows, float[] out) {
    for (int c = blocked; c < items; c++) {
      int w = (c - blocked) * hidden;
      for (int r = 0; r < rows; r++) {
        float s = bias[c];
        for (int k = 0; k < hidden; k++) {
          s += d[r * hidden + k] * tail[w + k];
        }
        out[r * items + c] = s;
      }
    }
  }
}
