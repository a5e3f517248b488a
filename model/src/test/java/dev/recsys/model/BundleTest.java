package dev.recsys.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.bundle.SafetensorsFile;
import dev.recsys.model.nn.SparseBatch;
import dev.recsys.model.scoring.Scorer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleTest {

  @TempDir Path tmp;

  private static final Architecture ARCH = new Architecture(ModelType.VAE, 50, new int[] {12}, 6);
  private static final long[] MOVIES = LongStream.range(0, 50).map(i -> 1000 + 7 * i).toArray();

  @Test
  void roundTripGivesIdenticalLogits() throws IOException {
    Map<String, Tensor> weights = RandomBundle.weights(ARCH, 42);
    ModelBundle bundle = RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 42);
    assertEquals(ARCH, bundle.architecture());
    for (Map.Entry<String, Tensor> e : weights.entrySet()) {
      assertArrayEquals(e.getValue().data(), bundle.weights().get(e.getKey()).data(), 0f, e.getKey());
    }
    assertEquals(Digests.sha256(tmp.resolve("b/manifest.json")), bundle.sha256());
    assertEquals(1000 + 7 * 3, bundle.vocabulary().movieId(3));

    ModelBundle again = ModelBundle.load(tmp.resolve("b"));
    List<int[]> users = List.of(new int[] {1, 2, 3}, new int[] {40}, new int[] {0, 10, 20, 30, 49});
    try (Scorer a = Scorer.open(bundle, Device.cpu());
        Scorer b = Scorer.open(again, Device.cpu())) {
      float[] la = a.forward(SparseBatch.of(users));
      float[] lb = b.forward(SparseBatch.of(users));
      assertEquals(users.size() * 50, la.length);
      assertArrayEquals(la, lb, 0f);
      // and they are the weights we wrote: compare with the plain-Java forward pass
      double[] expected = ReferenceForward.logits(ARCH, weights, users.get(2));
      for (int i = 0; i < 50; i++) {
        assertEquals(expected[i], la[2 * 50 + i], 1e-5);
      }
    }
  }

  @Test
  void refusesTamperedFile() throws IOException {
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    try (RandomAccessFile f = new RandomAccessFile(tmp.resolve("b").resolve(ModelBundle.WEIGHTS).toFile(), "rw")) {
      f.seek(200);
      int v = f.read();
      f.seek(200);
      f.write(v ^ 0x40);
    }
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage()).contains(ModelBundle.WEIGHTS).contains("SHA-256 mismatch");
    assertEquals(tmp.resolve("b").resolve(ModelBundle.WEIGHTS), e.file());
  }

  @Test
  void refusesMissingFile() throws IOException {
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Files.delete(tmp.resolve("b/items.txt"));
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage()).contains("items.txt").contains("missing file");

    Files.delete(tmp.resolve("b/manifest.json"));
    e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage()).contains("manifest.json").contains("missing file");
  }

  @Test
  void refusesWrongDimensionInWeights() throws IOException {
    // a consistent bundle (checksums right) whose decoder does not match the declared latent size
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Map<String, Tensor> w = new LinkedHashMap<>(RandomBundle.weights(ARCH, 1));
    w.put("dec0.weight", new Tensor(new long[] {5, 12}, new float[60]));
    Path weights = tmp.resolve("b").resolve(ModelBundle.WEIGHTS);
    Files.delete(weights);
    SafetensorsFile.write(weights, w);
    rewriteChecksum(ModelBundle.WEIGHTS);
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage())
        .contains(ModelBundle.WEIGHTS)
        .contains("wrong dimension")
        .contains("dec0.weight")
        .contains("[5, 12]")
        .contains("[6, 12]");
  }

  @Test
  void refusesVocabularyOfWrongSize() throws IOException {
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Files.writeString(tmp.resolve("b/items.txt"), "1\n2\n3\n");
    rewriteChecksum("items.txt");
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage()).contains("items.txt").contains("wrong dimension").contains("numItems=50");
  }

  @Test
  void refusesCorruptManifest() throws IOException {
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Files.writeString(tmp.resolve("b/manifest.json"), "{\"formatVersion\": 1, ");
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertThat(e.getMessage()).contains("manifest.json").contains("invalid JSON");
  }

  @Test
  void loadedTensorsAreTheOnesWritten() throws IOException {
    Map<String, Tensor> written = RandomBundle.weights(ARCH, 9);
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 9);
    ModelBundle loaded = ModelBundle.load(tmp.resolve("b"));
    assertEquals(written.keySet(), loaded.weights().keySet());
    for (Map.Entry<String, Tensor> e : written.entrySet()) {
      Tensor t = loaded.weights().get(e.getKey());
      assertArrayEquals(e.getValue().shape(), t.shape(), e.getKey());
      assertArrayEquals(e.getValue().data(), t.data(), 0f, e.getKey());
    }
    assertArrayEquals(MOVIES, loaded.vocabulary().movieIds());
    // the digest is of the manifest bytes that were parsed, which are the ones on disk
    assertEquals(Digests.sha256(Files.readAllBytes(tmp.resolve("b/manifest.json"))), loaded.sha256());
  }

  @Test
  void refusesNonFiniteWeights() throws IOException {
    RandomBundle.write(tmp.resolve("template"), ARCH, MOVIES, 3);
    BundleManifest manifest = ModelBundle.manifestOf(tmp.resolve("template"));
    float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
    for (int i = 0; i < bad.length; i++) {
      Map<String, Tensor> w = new LinkedHashMap<>(RandomBundle.weights(ARCH, 3));
      float[] data = w.get("dec1.bias").data().clone();
      data[17] = bad[i];
      w.put("dec1.bias", new Tensor(w.get("dec1.bias").shape(), data));
      Path dir = tmp.resolve("bad" + i);
      ModelBundle.write(dir, manifest, new ItemVocabulary(MOVIES), w); // checksums right: only the values are wrong
      BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
      assertEquals(dir.resolve(ModelBundle.WEIGHTS), e.file());
      assertThat(e.getMessage()).contains("tensor dec1.bias holds a non-finite value (" + bad[i] + ") at index 17");
    }
  }

  @Test
  void refusesAFileThatLinksOutOfTheBundle() throws IOException {
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Path outside = tmp.resolve("elsewhere.safetensors");
    Files.move(tmp.resolve("b").resolve(ModelBundle.WEIGHTS), outside);
    Files.createSymbolicLink(tmp.resolve("b").resolve(ModelBundle.WEIGHTS), outside); // same bytes, same checksum, but not in the bundle
    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(tmp.resolve("b")));
    assertEquals(tmp.resolve("b").resolve(ModelBundle.WEIGHTS), e.file());
    assertThat(e.getMessage()).contains("is a link to " + outside.toRealPath() + ", outside the bundle");
  }

  @Test
  void refusesABundleOfTheFormerFormatSayingWhy() throws IOException {
    // laid out as an earlier build wrote it: format 1, weights.bin, checksums right (its content is never read)
    RandomBundle.write(tmp.resolve("b"), ARCH, MOVIES, 1);
    Path dir = tmp.resolve("b");
    Files.move(dir.resolve(ModelBundle.WEIGHTS), dir.resolve("weights.bin"));
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(dir.resolve("manifest.json").toFile());
    root.put("formatVersion", 1);
    ObjectNode files = (ObjectNode) root.get("files");
    files.remove(ModelBundle.WEIGHTS);
    files.put("weights.bin", Digests.sha256(dir.resolve("weights.bin")));
    json.writeValue(dir.resolve("manifest.json").toFile(), root);

    BundleException e = assertThrows(BundleException.class, () -> ModelBundle.load(dir));
    assertEquals(dir.resolve("manifest.json"), e.file());
    assertThat(e.getMessage())
        .contains("format version 1 keeps its weights in weights.bin, a format this build no longer reads (it reads format 2, weights in weights.safetensors)");
    assertEquals("vae", ModelBundle.manifestOf(dir).modelType(), "its manifest still reads, for listings");
  }

  private void rewriteChecksum(String file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Path manifest = tmp.resolve("b/manifest.json");
    ObjectNode root = (ObjectNode) json.readTree(manifest.toFile());
    ((ObjectNode) root.get("files")).put(file, Digests.sha256(tmp.resolve("b").resolve(file)));
    json.writeValue(manifest.toFile(), root);
  }
}
