package dev.recsys.job;

import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Path;
import java.util.stream.LongStream;

/** A registry with small random models over movies 1..ITEMS. */
final class TestRegistry {

  static final int ITEMS = 60;
  static final long[] MOVIES = LongStream.rangeClosed(1, ITEMS).toArray();
  static final String NAME = "ml";

  private TestRegistry() {}

  /** Publishes a random model with this seed as the next version. */
  static ModelRegistry.Version publish(Path root, long seed) throws Exception {
    Architecture arch = new Architecture(ModelType.DAE, ITEMS, new int[0], 8);
    Path bundle = root.resolveSibling("bundles").resolve("seed-" + seed + "-" + System.nanoTime());
    RandomBundle.write(bundle, arch, MOVIES, seed);
    return new ModelRegistry(root).publish(NAME, bundle);
  }
}
