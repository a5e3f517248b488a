package dev.recsys.model;

import java.util.Arrays;

/** A named float32 parameter tensor, row-major. */
public record Tensor(long[] shape, float[] data) {

  public Tensor {
    if (Arrays.stream(shape).reduce(1, (a, b) -> a * b) != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " does not hold " + data.length + " values");
    }
  }
}
