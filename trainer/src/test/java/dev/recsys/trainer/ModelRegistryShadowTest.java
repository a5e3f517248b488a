package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** shadow.json: which version the job scores beside the current one, and what it lets through. */
class ModelRegistryShadowTest {

  private static final Architecture ARCH = new Architecture(ModelType.DAE, 20, new int[0], 4);

  @TempDir Path tmp;

  private ModelRegistry.Version publish(ModelRegistry r, long seed) throws Exception {
    Path b = tmp.resolve("b" + seed);
    RandomBundle.write(b, ARCH, LongStream.rangeClosed(1, 20).toArray(), seed);
    return r.publish("ml", b);
  }

  @Test
  void theShadowPointerDecidesWhichShadowAnnouncementsPass() throws Exception {
    ModelRegistry r = new ModelRegistry(tmp.resolve("registry"));
    ModelRegistry.Version v1 = publish(r, 1);
    ModelRegistry.Version v2 = publish(r, 2);
    r.promote("ml", 1);
    String uri2 = v2.dir().toUri().toString();

    assertThat(r.shadow("ml")).isEmpty();
    assertThatThrownBy(() -> r.acceptShadow("ml", 2, uri2, v2.sha256())).hasMessageContaining("not the registry's shadow (it has none)");
    assertThatThrownBy(() -> r.startShadow("ml", 1)).hasMessageContaining("is the current version");
    assertThatThrownBy(() -> r.startShadow("ml", 7)).hasMessageContaining("no version 7");

    r.startShadow("ml", 2);
    assertThat(r.shadow("ml")).map(ModelRegistry.Version::version).contains(2);
    assertThat(r.acceptShadow("ml", 2, uri2, v2.sha256()).version().version()).isEqualTo(2);
    assertThatThrownBy(() -> r.acceptShadow("ml", 1, v1.dir().toUri().toString(), v1.sha256()))
        .hasMessageContaining("not the registry's shadow (v2)");
    assertThatThrownBy(() -> r.acceptShadowEnd("ml", 2)).hasMessageContaining("still the registry's shadow");
    assertThat(r.current("ml")).map(ModelRegistry.Version::version).contains(1); // the shadow never serves

    assertThat(r.endShadow("ml")).map(ModelRegistry.Version::version).contains(2);
    assertThat(r.shadow("ml")).isEmpty();
    r.acceptShadowEnd("ml", 2);
    assertThatThrownBy(() -> r.acceptShadow("ml", 2, uri2, v2.sha256())).hasMessageContaining("it has none");
  }

  @Test
  void promotingTheShadowEndsIt() throws Exception {
    ModelRegistry r = new ModelRegistry(tmp.resolve("registry"));
    publish(r, 1);
    publish(r, 2);
    r.promote("ml", 1);
    r.startShadow("ml", 2);
    r.promote("ml", 2);
    assertThat(r.current("ml")).map(ModelRegistry.Version::version).contains(2);
    assertThat(r.shadow("ml")).isEmpty();
  }

  @Test
  void aCorruptShadowPointerIsNamed() throws Exception {
    ModelRegistry r = new ModelRegistry(tmp.resolve("registry"));
    publish(r, 1);
    Files.writeString(tmp.resolve("registry/ml/shadow.json"), "{not json");
    assertThatThrownBy(() -> r.shadow("ml")).hasMessageContaining("shadow.json is corrupt");
  }
}
