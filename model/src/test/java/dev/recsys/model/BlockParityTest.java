package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.nn.BlockWeights;
import dev.recsys.model.nn.Blocks;
import dev.recsys.model.nn.MultAutoencoderBlock;
import dev.recsys.model.nn.MultAutoencoderBlock.DecoderLayout;
import dev.recsys.model.nn.SparseBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BlockParityTest {

  private static final int ITEMS = 120;

  static Architecture small(ModelType type) {
    return type == ModelType.VAE
        ? new Architecture(ModelType.VAE, ITEMS, new int[] {24}, 8)
        : new Architecture(ModelType.DAE, ITEMS, new int[0], 16);
  }

  static List<int[]> randomUsers(int count, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<int[]> users = new ArrayList<>();
    for (int u = 0; u < count; u++) {
      users.add(rnd.ints(1 + rnd.nextInt(15), 0, ITEMS).distinct().toArray());
    }
    return users;
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void djlForwardMatchesPlainJava(ModelType type) {
    Architecture arch = small(type);
    Map<String, Tensor> weights = RandomBundle.weights(arch, 7);
    List<int[]> users = randomUsers(9, 11);
    try (NDManager m = NDManager.newBaseManager()) {
      MultAutoencoderBlock block = Blocks.create(arch, 0.5f);
      BlockWeights.load(block, m, weights);
      float[] sparse = infer(block, m, SparseBatch.of(users).toNDList(m, ITEMS));
      for (int u = 0; u < users.size(); u++) {
        double[] expected = ReferenceForward.logits(arch, weights, users.get(u));
        for (int i = 0; i < ITEMS; i++) {
          assertEquals(expected[i], sparse[u * ITEMS + i], 1e-5, "user " + u + " item " + i);
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void weightsLeaveTheEngineAsTheyCameInWhateverTheLayout(ModelType type) {
    Architecture arch = small(type);
    Map<String, Tensor> weights = RandomBundle.weights(arch, 9);
    String out = "dec" + (arch.decoderDims().length - 2) + ".weight";
    long hidden = weights.get(out).shape()[0];
    for (DecoderLayout layout : DecoderLayout.values()) {
      try (NDManager m = NDManager.newBaseManager()) {
        MultAutoencoderBlock block = Blocks.create(arch, 0f, layout);
        BlockWeights.load(block, m, weights);
        long[] stored = block.getParameters().get(out).getArray().getShape().getShape();
        assertArrayEquals(layout == DecoderLayout.OUT_IN ? new long[] {ITEMS, hidden} : new long[] {hidden, ITEMS}, stored, layout.name());
        Map<String, Tensor> back = BlockWeights.export(block);
        assertEquals(weights.keySet(), back.keySet());
        weights.forEach((name, t) -> {
          assertArrayEquals(t.shape(), back.get(name).shape(), layout + " " + name);
          assertArrayEquals(t.data(), back.get(name).data(), layout + " " + name);
        });
        // and both layouts compute the same function
        float[] logits = infer(block, m, SparseBatch.of(randomUsers(3, 4)).toNDList(m, ITEMS));
        double[] expected = ReferenceForward.logits(arch, weights, randomUsers(3, 4).get(0));
        for (int i = 0; i < ITEMS; i++) {
          assertEquals(expected[i], logits[i], 1e-5, layout + " item " + i);
        }
      }
    }
    arch.parameterShapes().forEach((name, shape) -> assertArrayEquals(weights.get(name).shape(), shape, name));
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void sparseFirstLayerEqualsDense(ModelType type) {
    Architecture arch = small(type);
    Map<String, Tensor> weights = RandomBundle.weights(arch, 3);
    List<int[]> users = randomUsers(6, 5);
    try (NDManager m = NDManager.newBaseManager()) {
      MultAutoencoderBlock block = Blocks.create(arch, 0f);
      BlockWeights.load(block, m, weights);
      float[] dense = new float[users.size() * ITEMS];
      for (int u = 0; u < users.size(); u++) {
        for (int i : users.get(u)) {
          dense[u * ITEMS + i] = 1f;
        }
      }
      NDArray x = m.create(dense, new ai.djl.ndarray.types.Shape(users.size(), ITEMS));
      float[] viaDense = infer(block, m, new NDList(x));
      float[] viaSparse = infer(block, m, SparseBatch.of(users).toNDList(m, ITEMS));
      assertArrayEquals(viaDense, viaSparse, 1e-5f);
    }
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void trainingModeAddsDropoutAndExtras(ModelType type) {
    Architecture arch = small(type);
    try (NDManager m = NDManager.newBaseManager()) {
      MultAutoencoderBlock block = Blocks.create(arch, 0.5f);
      BlockWeights.load(block, m, RandomBundle.weights(arch, 1));
      SparseBatch batch = SparseBatch.of(randomUsers(4, 2));
      SparseBatch dropped = batch.dropout(0.5f, new SplittableRandom(3));
      assertTrue(dropped.nnz() < batch.nnz() && dropped.nnz() > 0, "dropout removes about half the entries");
      NDList train = block.forward(new ParameterStore(m, false), dropped.toNDList(m, ITEMS), true);
      assertEquals(type == ModelType.VAE ? 3 : 1, train.size());
      if (type == ModelType.VAE) {
        assertEquals(arch.latent(), train.get(1).getShape().get(1)); // μ
        assertEquals(arch.latent(), train.get(2).getShape().get(1)); // log σ²
      }
      float[] eval = infer(block, m, batch.toNDList(m, ITEMS));
      float[] noisy = train.head().toFloatArray();
      double diff = 0;
      for (int i = 0; i < eval.length; i++) {
        diff += Math.abs(eval[i] - noisy[i]);
      }
      assertTrue(diff > 1e-3, "training forward must differ (dropout, sampling), diff=" + diff);
      // the dense path drops out inside the block
      NDArray dense = m.create(new float[4 * ITEMS], new ai.djl.ndarray.types.Shape(4, ITEMS)).add(1f);
      float[] a = block.forward(new ParameterStore(m, false), new NDList(dense), true).head().toFloatArray();
      float[] b = block.forward(new ParameterStore(m, false), new NDList(dense), false).head().toFloatArray();
      assertTrue(!java.util.Arrays.equals(a, b));
    }
  }

  private static float[] infer(MultAutoencoderBlock block, NDManager m, NDList in) {
    return block.forward(new ParameterStore(m, false), in, false).head().toFloatArray();
  }
}
