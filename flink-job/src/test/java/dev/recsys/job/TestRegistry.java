package dev.recsys.job;

import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.ModelBundle;
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

  /** Flips a bit of a published version's weights, as disk corruption or tampering would. */
  static void corrupt(ModelRegistry.Version v) throws Exception {
    Path weights = v.dir().resolve(ModelBundle.WEIGHTS);
    weights.toFile().setWritable(true);
    byte[] bytes = java.nio.file.Files.readAllBytes(weights);
    bytes[100] ^= 0x10;
    java.nio.file.Files.write(weights, bytes);
  }

  /** The announcement of a version, stamped with its number: later versions are announced later. */
  static ModelUpdateEvent announcement(ModelRegistry.Version v) {
    return ModelUpdateEvent.of(v.name(), v.version(), v.dir(), v.sha256(), v.modelType(), v.version(), "publish");
  }

  /** Publishes a random model with this seed as the next version. */
  static ModelRegistry.Version publish(Path root, long seed) throws Exception {
    Architecture arch = new Architecture(ModelType.DAE, ITEMS, new int[0], 8);
    Path bundle = root.resolveSibling("bundles").resolve("seed-" + seed + "-" + System.nanoTime());
    RandomBundle.write(bundle, arch, MOVIES, seed);
    return new ModelRegistry(root).publish(NAME, bundle);
  }
}
