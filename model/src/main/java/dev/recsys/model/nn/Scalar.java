package dev.recsys.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar constants for operations that autograd records.
 *
 * <p>DJL's {@code Number} overloads ({@code x.mul(0.5f)}, {@code x.div(n)}) build the scalar on a
 * Java direct buffer and close it as soon as the operation returns. Autograd keeps that scalar for
 * the backward pass (the divisor of a division, the factor of a product), but nothing keeps the
 * buffer: the garbage collector may free and reuse it before the backward pass reads it, which
 * corrupts the gradients at random (NaN losses under memory pressure). A scalar that libtorch
 * allocates lives for as long as anything, the graph included, holds it.
 */
public final class Scalar {

  private Scalar() {}

  /** A float32 scalar in libtorch's own memory, attached to {@code manager}. */
  public static NDArray of(NDManager manager, float value) {
    return manager.full(new Shape(), value);
  }
}
