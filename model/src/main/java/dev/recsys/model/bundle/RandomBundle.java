package dev.recsys.model.bundle;

import dev.recsys.model.Architecture;
import dev.recsys.model.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Bundles with random (Glorot-uniform) weights, for tests and throughput benchmarks where only the
 * shape of the model matters.
 */
public final class RandomBundle {

  private RandomBundle() {}

  /** Random tensors for every parameter of the architecture. */
  public static Map<String, Tensor> weights(Architecture arch, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> e : arch.parameterShapes().entrySet()) {
      long[] shape = e.getValue();
      int size = (int) (shape.length == 2 ? shape[0] * shape[1] : shape[0]);
      double limit = shape.length == 2 ? Math.sqrt(6.0 / (shape[0] + shape[1])) : 0.1;
      float[] data = new float[size];
      for (int i = 0; i < size; i++) {
        data[i] = (float) ((rnd.nextDouble() * 2 - 1) * limit);
      }
      out.put(e.getKey(), new Tensor(shape, data));
    }
    return out;
  }

  /**
   * Writes a random bundle whose vocabulary is {@code movieIds}; popularity is the vocabulary
   * order.
   *
   * @return the loaded, verified bundle
   */
  public static ModelBundle write(Path dir, Architecture arch, long[] movieIds, long seed) throws IOException {
    List<BundleManifest.PopularItem> popularity = new ArrayList<>();
    for (int i = 0; i < Math.min(movieIds.length, 1000); i++) {
      popularity.add(new BundleManifest.PopularItem(movieIds[i], movieIds.length - i));
    }
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT_VERSION, arch.type().id(), arch.numItems(), arch.hidden(), arch.latent(),
            Map.of("seed", seed, "random", true), "random", Map.of(), popularity,
            Instant.now().toString(), null);
    ModelBundle.write(dir, manifest, new ItemVocabulary(movieIds), weights(arch, seed));
    return ModelBundle.load(dir);
  }
}
