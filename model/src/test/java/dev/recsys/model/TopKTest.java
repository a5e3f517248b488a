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
}
