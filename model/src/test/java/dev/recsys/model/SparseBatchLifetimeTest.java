package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.recsys.model.nn.SparseBatch;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The sparse input must not depend on memory the garbage collector may reclaim: the batch is read
 * again after garbage collection and after the freed memory has been reused.
 */
class SparseBatchLifetimeTest {

  private static final int ITEMS = 50_000;

  @Test
  void sparseInputSurvivesGarbageCollectionAndMemoryReuse() throws Exception {
    SplittableRandom rnd = new SplittableRandom(3);
    List<int[]> users = new ArrayList<>();
    for (int u = 0; u < 64; u++) {
      users.add(rnd.ints(1 + rnd.nextInt(200), 0, ITEMS).distinct().toArray());
    }
    float[] expected = dense(users);
    try (NDManager m = NDManager.newBaseManager()) {
      List<NDArray> inputs = new ArrayList<>();
      for (int k = 0; k < 20; k++) {
        inputs.add(SparseBatch.of(users).toNDList(m, ITEMS).head());
      }
      for (int round = 0; round < 3; round++) {
        System.gc();
        Thread.sleep(50); // lets the cleaner thread free unreachable direct buffers
        List<ByteBuffer> reuse = new ArrayList<>();
        for (int k = 0; k < 200; k++) {
          ByteBuffer b = ByteBuffer.allocateDirect(64 * 1024);
          while (b.hasRemaining()) {
            b.put((byte) 0x7f); // NaN-like float bit patterns in whatever memory was freed
          }
          reuse.add(b);
        }
      }
      for (NDArray x : inputs) {
        assertArrayEquals(expected, x.toDense().toFloatArray());
      }
    }
  }

  private static float[] dense(List<int[]> users) {
    float[] x = new float[users.size() * ITEMS];
    for (int u = 0; u < users.size(); u++) {
      float v = (float) (1 / Math.sqrt(users.get(u).length));
      for (int i : users.get(u)) {
        x[u * ITEMS + i] = v;
      }
    }
    return x;
  }
}
