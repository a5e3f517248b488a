package dev.recsys.model.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.recsys.model.Architecture;
import dev.recsys.model.Tensor;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A verified, in-memory model bundle. On disk a bundle is a directory:
 *
 * <ul>
 *   <li>{@code manifest.json}: {@link BundleManifest}, including the SHA-256 of the other files;
 *   <li>{@code weights.safetensors}: the parameters in the {@link Architecture#parameterShapes}
 *       names and {@code [in, out]} layout, as float32 safetensors ({@link SafetensorsFile}), which
 *       PyTorch and numpy open directly;
 *   <li>{@code items.txt}: the vocabulary, one external movieId per line in model-index order.
 * </ul>
 *
 * <p>The bundle's own digest is the SHA-256 of {@code manifest.json}, which covers every other
 * file through its checksums; model-update events carry it.
 */
public final class ModelBundle {

  public static final String MANIFEST = "manifest.json";
  public static final String WEIGHTS = "weights.safetensors";
  public static final String ITEMS = "items.txt";

  /** The most a byte array holds: each file is read whole into one. */
  static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path dir;
  private final BundleManifest manifest;
  private final ItemVocabulary vocabulary;
  private final Map<String, Tensor> weights;
  private final String sha256;

  private ModelBundle(
      Path dir, BundleManifest manifest, ItemVocabulary vocabulary, Map<String, Tensor> weights, String sha256) {
    this.dir = dir;
    this.manifest = manifest;
    this.vocabulary = vocabulary;
    this.weights = weights;
    this.sha256 = sha256;
  }

  public Path dir() {
    return dir;
  }

  public BundleManifest manifest() {
    return manifest;
  }

  public Architecture architecture() {
    return manifest.architecture();
  }

  public ItemVocabulary vocabulary() {
    return vocabulary;
  }

  public Map<String, Tensor> weights() {
    return weights;
  }

  /** SHA-256 of manifest.json. */
  public String sha256() {
    return sha256;
  }

  /**
   * Writes a bundle into {@code dir}, which must not exist yet. The manifest's {@code files} is
   * filled in here.
   *
   * @return the bundle digest (SHA-256 of manifest.json)
   */
  public static String write(Path dir, BundleManifest manifest, ItemVocabulary vocab, Map<String, Tensor> weights)
      throws IOException {
    if (vocab.size() != manifest.numItems()) {
      throw new IllegalArgumentException(
          "vocabulary has " + vocab.size() + " items, manifest says " + manifest.numItems());
    }
    Files.createDirectories(dir.getParent());
    Files.createDirectory(dir);
    SafetensorsFile.write(dir.resolve(WEIGHTS), weights);
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(ITEMS), StandardCharsets.UTF_8)) {
      for (int i = 0; i < vocab.size(); i++) {
        w.write(Long.toString(vocab.movieId(i)));
        w.write('\n');
      }
    }
    Map<String, String> files = new TreeMap<>();
    for (String f : List.of(WEIGHTS, ITEMS)) {
      files.put(f, Digests.sha256(dir.resolve(f)));
    }
    Path manifestFile = dir.resolve(MANIFEST);
    JSON.writeValue(manifestFile.toFile(), manifest.withFiles(files));
    return Digests.sha256(manifestFile);
  }

  /**
   * Loads and verifies a bundle: every file present, every checksum right, the vocabulary and every
   * tensor of the size the manifest's architecture needs, every weight finite. Each file is read
   * once: the bytes hashed are the bytes parsed, so a file replaced between the check and the parse
   * cannot slip through.
   *
   * @throws BundleException naming the file and the problem
   */
  public static ModelBundle load(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new BundleException(dir, "not a directory");
    }
    Path realDir = realPath(dir);
    Path manifestFile = dir.resolve(MANIFEST);
    byte[] manifestBytes = readContained(realDir, manifestFile, "missing file");
    BundleManifest manifest = parseManifest(manifestFile, manifestBytes);
    checkFormat(manifestFile, manifest);
    Architecture arch;
    try {
      arch = manifest.architecture();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new BundleException(manifestFile, "invalid architecture: " + e.getMessage());
    }
    for (String required : List.of(WEIGHTS, ITEMS)) {
      if (manifest.files() == null || !manifest.files().containsKey(required)) {
        throw new BundleException(manifestFile, "lists no checksum for " + required);
      }
    }
    Map<String, byte[]> contents = new HashMap<>();
    for (Map.Entry<String, String> f : manifest.files().entrySet()) {
      Path file = dir.resolve(f.getKey()).normalize();
      if (!file.startsWith(dir.normalize())) {
        throw new BundleException(manifestFile, "file entry escapes the bundle: " + f.getKey());
      }
      byte[] bytes = readContained(realDir, file, "missing file (listed in manifest.json)");
      String actual = Digests.sha256(bytes);
      if (!actual.equalsIgnoreCase(f.getValue())) {
        throw new BundleException(
            file, "SHA-256 mismatch (tampered or corrupt): manifest.json says " + f.getValue() + ", file has " + actual);
      }
      contents.put(f.getKey(), bytes);
    }
    ItemVocabulary vocab = parseVocabulary(dir.resolve(ITEMS), contents.get(ITEMS), manifest.numItems());
    Path weightsFile = dir.resolve(WEIGHTS);
    Map<String, Tensor> weights = SafetensorsFile.parse(weightsFile, contents.get(WEIGHTS));
    Map<String, long[]> expected = arch.parameterShapes();
    for (Map.Entry<String, long[]> e : expected.entrySet()) {
      Tensor t = weights.get(e.getKey());
      if (t == null) {
        throw new BundleException(weightsFile, "missing tensor " + e.getKey());
      }
      if (!Arrays.equals(t.shape(), e.getValue())) {
        throw new BundleException(
            weightsFile,
            "wrong dimension: tensor " + e.getKey() + " has shape " + Arrays.toString(t.shape())
                + " but the manifest's architecture (" + arch + ") needs " + Arrays.toString(e.getValue()));
      }
    }
    for (Map.Entry<String, Tensor> e : weights.entrySet()) {
      if (!expected.containsKey(e.getKey())) {
        throw new BundleException(weightsFile, "unexpected tensor " + e.getKey() + " for " + arch);
      }
      // NaN scores leave users with empty lists and an infinite one is not valid JSON
      float[] data = e.getValue().data();
      for (int i = 0; i < data.length; i++) {
        if (!Float.isFinite(data[i])) {
          throw new BundleException(
              weightsFile, "tensor " + e.getKey() + " holds a non-finite value (" + data[i] + ") at index " + i);
        }
      }
    }
    return new ModelBundle(dir, manifest, vocab, weights, Digests.sha256(manifestBytes));
  }

  /**
   * Reads (without verifying the other files, or whether this build reads the bundle's format) the
   * manifest of the bundle in {@code dir}: enough to list a version that {@link #load} refuses.
   */
  public static BundleManifest manifestOf(Path dir) {
    Path file = dir.resolve(MANIFEST);
    return parseManifest(file, readContained(realPath(dir), file, "missing file"));
  }

  private static BundleManifest parseManifest(Path file, byte[] bytes) {
    BundleManifest m;
    try {
      m = JSON.readValue(bytes, BundleManifest.class);
    } catch (JsonProcessingException e) {
      throw new BundleException(file, "invalid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BundleException(file, "cannot read: " + e.getMessage(), e);
    }
    return m;
  }

  private static void checkFormat(Path file, BundleManifest m) {
    if (m.formatVersion() == 1) {
      throw new BundleException(
          file, "format version 1 keeps its weights in weights.bin, a format this build no longer reads (it reads format "
              + BundleManifest.FORMAT_VERSION + ", weights in " + WEIGHTS + "): train or import the model again and publish that");
    }
    if (m.formatVersion() != BundleManifest.FORMAT_VERSION) {
      throw new BundleException(
          file, "unsupported format version " + m.formatVersion() + " (this build reads " + BundleManifest.FORMAT_VERSION + ")");
    }
  }

  private static Path realPath(Path dir) {
    try {
      return dir.toRealPath();
    } catch (IOException e) {
      throw new BundleException(dir, "cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * The whole content of a regular file that really lies inside the bundle: a symbolic link out of
   * it would let a file change outside the directory that was published read-only.
   */
  private static byte[] readContained(Path realDir, Path file, String missing) {
    try {
      Path real = file.toRealPath();
      if (!real.startsWith(realDir)) {
        throw new BundleException(file, "is a link to " + real + ", outside the bundle");
      }
      if (!Files.isRegularFile(real)) {
        throw new BundleException(file, missing);
      }
      long size = Files.size(real);
      if (size > MAX_FILE_BYTES) {
        throw new BundleException(file, "too large: " + size + " bytes (at most " + MAX_FILE_BYTES + ")");
      }
      return Files.readAllBytes(real);
    } catch (NoSuchFileException e) {
      throw new BundleException(file, missing);
    } catch (IOException e) {
      throw new BundleException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static ItemVocabulary parseVocabulary(Path file, byte[] bytes, int numItems) {
    List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
    if (lines.size() != numItems) {
      throw new BundleException(
          file, "wrong dimension: " + lines.size() + " items, but manifest.json says numItems=" + numItems);
    }
    long[] ids = new long[numItems];
    for (int i = 0; i < numItems; i++) {
      try {
        ids[i] = Long.parseLong(lines.get(i).trim());
      } catch (NumberFormatException e) {
        throw new BundleException(file, "line " + (i + 1) + ": not a movieId: '" + lines.get(i) + "'");
      }
    }
    try {
      return new ItemVocabulary(ids);
    } catch (IllegalArgumentException e) {
      throw new BundleException(file, e.getMessage());
    }
  }
}
