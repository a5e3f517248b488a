package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.recsys.model.scoring.TopK;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {

  @Test
  void matchesAFullSortIncludingTiesAndExclusions() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + rnd.nextInt(300);
      int k = rnd.nextInt(n + 5);
      float[] row = new float[n + 10];
      for (int i = 0; i < row.length; i++) {
        row[i] = rnd.nextInt(4) == 0 ? Float.NEGATIVE_INFINITY : rnd.nextInt(50) / 7f; // many ties
      }
      int offset = 10;
      int[] expected =
          IntStream.range(0, n)
              .filter(i -> row[offset + i] != Float.NEGATIVE_INFINITY)
              .boxed()
              .sorted(Comparator.comparingDouble((Integer i) -> -row[offset + i]).thenComparingInt(i -> i))
              .limit(k)
              .mapToInt(Integer::intValue)
              .toArray();
      assertArrayEquals(expected, TopK.select(row, offset, n, k), "trial " + trial);
    }
  }

  private static int[] bySort(float[] row, int offset, int n, int k) {
    return IntStream.range(0, n)
        .filter(i -> row[offset + i] != Float.NEGATIVE_INFINITY && !Float.isNaN(row[offset + i]))
        .boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -row[offset + i]).thenComparingInt(i -> i))
        .limit(k)
        .mapToInt(Integer::intValue)
        .toArray();
  }

  /** Rows long enough for the sampled pre-filter, including rows that defeat its estimate. */
  @Test
  void longRowsMatchAFullSortWhateverTheirShape() {
    SplittableRandom rnd = new SplittableRandom(4);
    for (int trial = 0; trial < 120; trial++) {
      int n = 4096 + rnd.nextInt(30_000);
      int k = 1 + rnd.nextInt(Math.min(800, n / 16));
      int shape = trial % 6;
      float[] row = new float[n + 3];
      int stride = n / 512;
      for (int i = 0; i < row.length; i++) {
        int at = i - 3;
        row[i] = switch (shape) {
          case 0 -> (float) rnd.nextGaussian(); // logits
          case 1 -> rnd.nextInt(20) / 3f; // few distinct values: ties everywhere
          case 2 -> at; // ascending: the best at the end
          case 3 -> rnd.nextInt(3) == 0 ? Float.NEGATIVE_INFINITY : rnd.nextInt(9) == 0 ? Float.NaN : (float) rnd.nextGaussian();
          // the best entries sit exactly where the sample does not look
          case 4 -> at >= 0 && at % stride != 0 && rnd.nextInt(40) == 0 ? 100 + (float) rnd.nextGaussian() : (float) rnd.nextGaussian();
          default -> at >= 0 && at % stride == 0 ? 50 : 0; // the sample sees only the best
        };
      }
      assertArrayEquals(bySort(row, 3, n, k), TopK.select(row, 3, n, k), "trial " + trial + ", shape " + shape + ", n " + n + ", k " + k);
    }
  }
}
