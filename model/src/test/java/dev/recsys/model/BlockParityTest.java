package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

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
      MultAutoencoderBlock block = Blocks.create(arch);
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
        MultAutoencoderBlock block = Blocks.create(arch, layout);
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

  /**
   * SparseBatch's training input against the reference: each kept entry is x_i/‖x‖ scaled by
   * 1/(1 − p), with ‖x‖ over all of the user's items (normalise, then drop out), dropped entries
   * and other items are 0, and about a fraction p is dropped.
   */
  @ParameterizedTest
  @ValueSource(floats = {0.5f, 0.2f})
  void sparseDropoutNormalisesThenScalesKeptEntries(float rate) {
    List<int[]> users = randomUsers(200, 21);
    SparseBatch dropped = SparseBatch.of(users).dropout(rate, new SplittableRandom(8));
    try (NDManager m = NDManager.newBaseManager()) {
      float[] x = dense(dropped, m);
      List<boolean[]> kept = keptMasks(users, x);
      long entries = 0;
      long dropCount = 0;
      for (int u = 0; u < users.size(); u++) {
        double[] expected = ReferenceForward.input(ITEMS, users.get(u), kept.get(u), rate);
        for (int i = 0; i < ITEMS; i++) {
          assertEquals(expected[i], x[u * ITEMS + i], 1e-6, "user " + u + " item " + i);
        }
        for (boolean k : kept.get(u)) {
          entries++;
          dropCount += k ? 0 : 1;
        }
      }
      assertEquals(entries - dropCount, dropped.nnz());
      // about 1,600 entries: the dropped share's standard deviation is about 0.012
      assertEquals(rate, (double) dropCount / entries, 0.05, "share dropped");
    }
  }

  /** The training forward encodes the dropped-out input; the VAE returns μ and log σ² of it and decodes a sample. */
  @ParameterizedTest
  @EnumSource(ModelType.class)
  void trainingForwardUsesTheDroppedInput(ModelType type) {
    Architecture arch = small(type);
    Map<String, Tensor> weights = RandomBundle.weights(arch, 1);
    List<int[]> users = randomUsers(6, 2);
    try (NDManager m = NDManager.newBaseManager()) {
      MultAutoencoderBlock block = Blocks.create(arch);
      BlockWeights.load(block, m, weights);
      SparseBatch dropped = SparseBatch.of(users).dropout(0.5f, new SplittableRandom(3));
      List<boolean[]> kept = keptMasks(users, dense(dropped, m));
      NDList train = block.forward(new ParameterStore(m, false), dropped.toNDList(m, ITEMS), true);
      assertEquals(type == ModelType.VAE ? 3 : 1, train.size());
      float[] logits = train.head().toFloatArray();
      int latent = arch.latent();
      for (int u = 0; u < users.size(); u++) {
        double[] encoded = ReferenceForward.encode(arch, weights, ReferenceForward.input(ITEMS, users.get(u), kept.get(u), 0.5));
        double[] meanLogits = ReferenceForward.decode(arch, weights, ReferenceForward.code(arch, encoded));
        if (type == ModelType.DAE) {
          for (int i = 0; i < ITEMS; i++) {
            assertEquals(meanLogits[i], logits[u * ITEMS + i], 1e-5, "user " + u + " item " + i);
          }
          continue;
        }
        float[] mu = train.get(1).toFloatArray();
        float[] logvar = train.get(2).toFloatArray();
        for (int j = 0; j < latent; j++) {
          assertEquals(encoded[j], mu[u * latent + j], 1e-5, "μ user " + u);
          assertEquals(encoded[latent + j], logvar[u * latent + j], 1e-5, "log σ² user " + u);
        }
        double diff = 0;
        for (int i = 0; i < ITEMS; i++) {
          diff += Math.abs(meanLogits[i] - logits[u * ITEMS + i]);
        }
        assertTrue(diff > 1e-3, "the VAE decodes a sample, not μ: diff " + diff);
      }
    }
  }

  /**
   * With dropout 0 the training forward is the inference forward. For the VAE the log σ² half of
   * the last encoder layer is set to −60 (σ = e^−30), so that its sample equals μ in float32.
   */
  @ParameterizedTest
  @EnumSource(ModelType.class)
  void trainingForwardWithoutDropoutIsTheInferenceForward(ModelType type) {
    Architecture arch = small(type);
    Map<String, Tensor> weights = new LinkedHashMap<>(RandomBundle.weights(arch, 5));
    if (type == ModelType.VAE) {
      String last = "enc" + (arch.encoderDims().length - 2);
      Tensor w = weights.get(last + ".weight");
      Tensor b = weights.get(last + ".bias");
      float[] wd = w.data().clone();
      float[] bd = b.data().clone();
      int out = (int) w.shape()[1];
      for (int o = arch.latent(); o < out; o++) {
        bd[o] = -60f;
        for (int i = 0; i < w.shape()[0]; i++) {
          wd[i * out + o] = 0f;
        }
      }
      weights.put(last + ".weight", new Tensor(w.shape(), wd));
      weights.put(last + ".bias", new Tensor(b.shape(), bd));
    }
    List<int[]> users = randomUsers(5, 6);
    try (NDManager m = NDManager.newBaseManager()) {
      MultAutoencoderBlock block = Blocks.create(arch);
      BlockWeights.load(block, m, weights);
      SparseBatch batch = SparseBatch.of(users);
      assertSame(batch, batch.dropout(0f, new SplittableRandom(1)));
      float[] train = block.forward(new ParameterStore(m, false), batch.toNDList(m, ITEMS), true).head().toFloatArray();
      float[] eval = infer(block, m, batch.toNDList(m, ITEMS));
      for (int u = 0; u < users.size(); u++) {
        double[] expected = ReferenceForward.logits(arch, weights, users.get(u));
        for (int i = 0; i < ITEMS; i++) {
          assertEquals(eval[u * ITEMS + i], train[u * ITEMS + i], 1e-6, "user " + u + " item " + i);
          assertEquals(expected[i], eval[u * ITEMS + i], 1e-5, "user " + u + " item " + i);
        }
      }
    }
  }

  /** The sparse input as dense rows [B × I]. */
  private static float[] dense(SparseBatch batch, NDManager m) {
    return batch.toNDList(m, ITEMS).head().toDense().toFloatArray();
  }

  /** Which of each user's items survived dropout: those with a non-zero input. */
  private static List<boolean[]> keptMasks(List<int[]> users, float[] dense) {
    List<boolean[]> out = new ArrayList<>();
    for (int u = 0; u < users.size(); u++) {
      int[] items = users.get(u);
      boolean[] kept = new boolean[items.length];
      for (int j = 0; j < items.length; j++) {
        kept[j] = dense[u * ITEMS + items[j]] != 0f;
      }
      out.add(kept);
    }
    return out;
  }

  private static float[] infer(MultAutoencoderBlock block, NDManager m, NDList in) {
    return block.forward(new ParameterStore(m, false), in, false).head().toFloatArray();
  }
}
