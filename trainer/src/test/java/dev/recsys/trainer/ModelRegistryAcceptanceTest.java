package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recsys.model.Architecture;
import dev.recsys.model.FileTrees;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the registry refuses, and that a refusal changes nothing on disk. */
class ModelRegistryAcceptanceTest {

  private static final Architecture ARCH = new Architecture(ModelType.DAE, 20, new int[0], 4);
  private static final long[] MOVIES = LongStream.rangeClosed(1, 20).toArray();

  @TempDir Path tmp;

  private Path root() {
    return tmp.resolve("registry");
  }

  private Path pointer() {
    return root().resolve("ml/current.json");
  }

  private Path bundle(String name, long seed) throws Exception {
    RandomBundle.write(tmp.resolve(name), ARCH, MOVIES, seed);
    return tmp.resolve(name);
  }

  /** A bundle with right checksums whose weights hold {@code value} at one place. */
  private Path bundleWith(String name, float value) throws Exception {
    Path template = bundle(name + "-template", 5);
    Map<String, Tensor> w = new LinkedHashMap<>(RandomBundle.weights(ARCH, 5));
    float[] data = w.get("enc0.weight").data().clone();
    data[3] = value;
    w.put("enc0.weight", new Tensor(w.get("enc0.weight").shape(), data));
    ModelBundle.write(tmp.resolve(name), ModelBundle.manifestOf(template), new ItemVocabulary(MOVIES), w);
    return tmp.resolve(name);
  }

  /** The directory names in the model's directory, hidden ones included. */
  private List<String> entries() throws Exception {
    try (Stream<Path> s = Files.list(root().resolve("ml"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void delete(ModelRegistry.Version v) throws Exception {
    v.dir().toFile().setWritable(true);
    FileTrees.deleteRecursively(v.dir());
  }

  private static void corrupt(ModelRegistry.Version v) throws Exception {
    Path weights = v.dir().resolve(ModelBundle.WEIGHTS);
    weights.toFile().setWritable(true);
    byte[] bytes = Files.readAllBytes(weights);
    bytes[40] ^= 0x01;
    Files.write(weights, bytes);
  }

  @Test
  void rollbackToAMissingVersionIsRefusedAndLeavesThePointer() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    reg.publish("ml", bundle("b", 2));
    delete(v1);
    byte[] before = Files.readAllBytes(pointer());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.rollback("ml"));
    assertThat(e.getMessage()).isEqualTo(
        "cannot roll back model 'ml' from v2 to v1, current.json is unchanged: model 'ml' has no version 1 in " + reg.root());
    assertArrayEquals(before, Files.readAllBytes(pointer()));
    assertEquals(2, reg.current("ml").orElseThrow().version());
  }

  @Test
  void rollbackToACorruptVersionIsRefusedAndLeavesThePointer() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    reg.publish("ml", bundle("b", 2));
    corrupt(v1);
    byte[] before = Files.readAllBytes(pointer());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.rollback("ml"));
    assertThat(e.getMessage())
        .startsWith("cannot roll back model 'ml' from v2 to v1, current.json is unchanged: bad model bundle: " + v1.dir().resolve(ModelBundle.WEIGHTS))
        .contains("SHA-256 mismatch");
    assertArrayEquals(before, Files.readAllBytes(pointer()));
    assertEquals(2, reg.current("ml").orElseThrow().version());
    assertThat(entries()).containsExactly(".lock", "current.json", "v1", "v2"); // no temporary pointer left either
  }

  @Test
  void aPointerThatIsNotJsonIsReportedByName() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    Files.writeString(pointer(), "{\"current\": 1, ");
    String says = pointer() + " is corrupt (";
    assertThat(assertThrows(IllegalStateException.class, () -> reg.current("ml")).getMessage()).startsWith(says);
    assertThat(assertThrows(IllegalStateException.class, () -> reg.list("ml")).getMessage()).startsWith(says);
    assertThat(assertThrows(IllegalStateException.class, () -> reg.acceptCurrent("ml", 1, v1.dir().toUri().toString(), v1.sha256())).getMessage())
        .startsWith(says).endsWith("which version of 'ml' is current is unknown");
  }

  @Test
  void aPointerWithoutItsStackIsReportedByName() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    Files.writeString(pointer(), "{\"current\": 1}");
    assertThat(assertThrows(IllegalStateException.class, () -> reg.current("ml")).getMessage())
        .isEqualTo(pointer() + " is corrupt: its current version must top a non-empty stack, with a log");
  }

  @Test
  void aPointerAtAMissingVersionIsReportedByNameAndPromoteRepairsIt() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    ModelRegistry.Version v2 = reg.publish("ml", bundle("b", 2));
    delete(v2);
    String says = pointer() + " points at v2, but " + root().resolve("ml/v2") + " does not exist";
    assertEquals(says, assertThrows(IllegalStateException.class, () -> reg.current("ml")).getMessage());
    assertEquals(says, assertThrows(IllegalStateException.class, () -> reg.list("ml")).getMessage());
    assertEquals(1, reg.promote("ml", 1).version());
    assertEquals(1, reg.current("ml").orElseThrow().version());
  }

  @Test
  void onlyTheCurrentVersionIsAcceptedForServing() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    ModelRegistry.Version v2 = reg.publish("ml", bundle("b", 2));
    String u1 = v1.dir().toUri().toString();
    String u2 = v2.dir().toUri().toString();
    assertEquals(2, reg.acceptCurrent("ml", 2, u2, v2.sha256()).version().version());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reg.acceptCurrent("ml", 1, u1, v1.sha256()));
    assertEquals("model 'ml' v1 is not the registry's current version (v2)", e.getMessage());
    assertEquals(1, reg.accept("ml", 1, u1, v1.sha256()).version().version(), "v1 itself is fine, only not current");
    // the pointer decides: after a promote the roles swap
    reg.promote("ml", 1);
    assertEquals(1, reg.acceptCurrent("ml", 1, u1, v1.sha256()).version().version());
    e = assertThrows(IllegalArgumentException.class, () -> reg.acceptCurrent("ml", 2, u2, v2.sha256()));
    assertEquals("model 'ml' v2 is not the registry's current version (v1)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> reg.acceptCurrent("other", 1, u1, v1.sha256()));
    assertEquals("model 'other' v1 is not the registry's current version (it has none)", e.getMessage());
  }

  @Test
  void aVersionDirectoryLinkingOutOfTheRegistryIsRefused() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    Path outside = bundle("outside", 7);
    Path link = root().resolve("ml/v2");
    Files.createSymbolicLink(link, outside);
    String sha = ModelBundle.load(outside).sha256();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reg.accept("ml", 2, link.toUri().toString(), sha));
    assertEquals("bundle " + link + " is really " + outside.toRealPath() + ", outside the registry root " + root().toRealPath(), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> reg.promote("ml", 2));
    assertEquals(1, reg.current("ml").orElseThrow().version());
  }

  @Test
  void publishingIntoAModelDirectoryThatLinksOutIsRefusedAndLeavesNothing() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.createDirectories(root());
    Files.createSymbolicLink(root().resolve("ml"), elsewhere);
    ModelRegistry reg = new ModelRegistry(root());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reg.publish("ml", bundle("a", 1)));
    assertThat(e.getMessage()).contains("outside the registry root");
    try (Stream<Path> s = Files.list(elsewhere)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly(".lock"); // no v1, no staging, no pointer
    }
    assertThat(reg.names()).isEmpty();
  }

  @Test
  void publishRefusesNonFiniteWeightsAndLeavesNoVersion() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    byte[] before = Files.readAllBytes(pointer());
    for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
      Path b = bundleWith("bad-" + bad, bad);
      BundleException e = assertThrows(BundleException.class, () -> reg.publish("ml", b));
      assertThat(e.getMessage()).contains("tensor enc0.weight holds a non-finite value (" + bad + ") at index 3");
      assertThat(entries()).containsExactly(".lock", "current.json", "v1");
      assertArrayEquals(before, Files.readAllBytes(pointer()));
    }
    assertEquals(1, reg.current("ml").orElseThrow().version());
  }

  @Test
  void publishRefusesACorruptWeightsHeaderAndLeavesNoVersion() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    byte[] before = Files.readAllBytes(pointer());
    Path b = bundle("huge-name", 2);
    // 16 bytes declaring a 2 GB header; checksummed, so only the header is wrong
    byte[] header = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Integer.MAX_VALUE).put("{}      ".getBytes(StandardCharsets.US_ASCII)).array();
    Files.write(b.resolve(ModelBundle.WEIGHTS), header);
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(b.resolve("manifest.json").toFile());
    ((ObjectNode) manifest.get("files")).put(ModelBundle.WEIGHTS, Digests.sha256(b.resolve(ModelBundle.WEIGHTS)));
    json.writeValue(b.resolve("manifest.json").toFile(), manifest);

    BundleException e = assertThrows(BundleException.class, () -> reg.publish("ml", b));
    assertEquals(b.resolve(ModelBundle.WEIGHTS), e.file());
    assertThat(e.getMessage()).contains("header length 2147483647 (the file has 8 bytes after the length");
    assertThat(entries()).containsExactly(".lock", "current.json", "v1");
    assertArrayEquals(before, Files.readAllBytes(pointer()));
  }

  @Test
  void aVersionOfTheFormerBundleFormatIsListedButNeverServed() throws Exception {
    ModelRegistry reg = new ModelRegistry(root());
    reg.publish("ml", bundle("a", 1));
    ModelRegistry.Version v2 = reg.publish("ml", bundle("b", 2));
    // v1 as an earlier build left it: format 1, its weights in weights.bin, every checksum right
    Path v1 = root().resolve("ml/v1");
    v1.toFile().setWritable(true);
    v1.resolve("manifest.json").toFile().setWritable(true);
    Files.move(v1.resolve(ModelBundle.WEIGHTS), v1.resolve("weights.bin"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(v1.resolve("manifest.json").toFile());
    manifest.put("formatVersion", 1);
    ObjectNode files = (ObjectNode) manifest.get("files");
    files.remove(ModelBundle.WEIGHTS);
    files.put("weights.bin", Digests.sha256(v1.resolve("weights.bin")));
    json.writeValue(v1.resolve("manifest.json").toFile(), manifest);
    byte[] before = Files.readAllBytes(pointer());

    assertThat(reg.list("ml")).extracting(ModelRegistry.Version::version).containsExactly(1, 2);
    String why = "bad model bundle: " + v1.resolve("manifest.json") + ": format version 1 keeps its weights in weights.bin,"
        + " a format this build no longer reads (it reads format 2, weights in weights.safetensors): train or import the model again and publish that";
    BundleException promote = assertThrows(BundleException.class, () -> reg.promote("ml", 1));
    assertEquals(why, promote.getMessage());
    IllegalStateException rollback = assertThrows(IllegalStateException.class, () -> reg.rollback("ml"));
    assertThat(rollback.getMessage()).isEqualTo("cannot roll back model 'ml' from v2 to v1, current.json is unchanged: " + why);
    // and the job's check of an announcement of it refuses it the same way
    ModelRegistry.Version old = reg.version("ml", 1);
    BundleException accept = assertThrows(BundleException.class, () -> reg.accept("ml", 1, old.dir().toUri().toString(), old.sha256()));
    assertEquals(why, accept.getMessage());
    assertArrayEquals(before, Files.readAllBytes(pointer()));
    assertEquals(v2.version(), reg.current("ml").orElseThrow().version());
  }
}
