package dev.recsys.model.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.recsys.model.FileTrees;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ModelBundle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory of immutable, versioned model bundles that the trainer writes and the Flink job
 * reads (a local disk, or a volume both mount):
 *
 * <pre>
 * &lt;root&gt;/&lt;name&gt;/v1/ , v2/ , ...   bundles, read-only once published
 * &lt;root&gt;/&lt;name&gt;/current.json      which version serves, and the stack of earlier ones
 * &lt;root&gt;/&lt;name&gt;/shadow.json       the version scored beside it for online comparison, if any
 * </pre>
 *
 * <p>A publish copies the bundle into a staging directory and renames it to the next free version:
 * the rename is atomic, so readers never see a half-written version. Publishers and pointer
 * updates are serialised by a lock file (across processes) and a lock per name (within the JVM);
 * besides, a rename never replaces an existing version, so two publishers can never share one.
 */
public final class ModelRegistry {

  private static final Pattern VERSION_DIR = Pattern.compile("v([0-9]+)");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  /** A version that passed {@link #accept}: its description and the verified bundle. */
  public record Accepted(Version version, ModelBundle bundle) {}

  /** One published version. */
  public record Version(String name, int version, Path dir, String sha256, String modelType, Instant publishedAt, boolean current) {}

  /** current.json. */
  record Pointer(int current, List<Integer> stack, List<Change> log) {}

  /** An audit entry. */
  record Change(int version, String action, String at) {}

  /** shadow.json. */
  record ShadowPointer(int version, String since) {}

  private final Path root;

  public ModelRegistry(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /**
   * The one check of whether a version may be served, used by publish, promote, the job's
   * announcement verifier and its model loader alike: a valid model name; a URI that really (links
   * followed) is {@code <root>/<name>/v<version>}, inside this registry; a bundle whose every
   * checksum, dimension and weight verifies ({@link ModelBundle#load}); and a manifest whose SHA-256
   * is the given one.
   *
   * @throws IllegalArgumentException or {@link dev.recsys.model.bundle.BundleException} saying
   *     what is wrong
   */
  public Accepted accept(String name, int version, String uri, String sha256) throws IOException {
    checkName(name);
    Path dir = resolveUri(uri);
    Path expected = root.toRealPath().resolve(name).resolve("v" + version);
    if (!dir.equals(expected)) {
      throw new IllegalArgumentException("model '" + name + "' v" + version + " lives at " + expected + ", not " + dir);
    }
    ModelBundle bundle = ModelBundle.load(dir);
    if (!bundle.sha256().equals(sha256)) {
      throw new IllegalArgumentException(
          "bundle " + dir + " has manifest SHA-256 " + bundle.sha256() + " but the announcement says " + sha256);
    }
    return new Accepted(describe(name, version, pointer(name).map(Pointer::current).orElse(-1) == version), bundle);
  }

  /**
   * The job's check of an announcement: {@link #accept}, and the announced version must be the one
   * current.json points at now. An announcement only says that the registry changed; the registry
   * says what serves, so a replayed old announcement, or one naming a version the registry never
   * made current, changes nothing.
   *
   * @throws IllegalArgumentException naming the announced and the current version, or whatever
   *     {@link #accept} throws
   */
  public Accepted acceptCurrent(String name, int version, String uri, String sha256) throws IOException {
    checkName(name);
    requireCurrent(name, version); // before the load: replayed announcements must not each load a bundle
    Accepted a = accept(name, version, uri, sha256);
    if (!a.version().current()) {
      requireCurrent(name, version); // the pointer moved while the bundle loaded
    }
    return a;
  }

  /**
   * The job's check of a shadow announcement: {@link #accept}, and shadow.json must name the
   * version now, as current.json does for {@link #acceptCurrent}.
   */
  public Accepted acceptShadow(String name, int version, String uri, String sha256) throws IOException {
    checkName(name);
    requireShadow(name, version);
    Accepted a = accept(name, version, uri, sha256);
    requireShadow(name, version); // the pointer moved while the bundle loaded
    return a;
  }

  /**
   * The job's check of an announced shadow end: shadow.json no longer names that version, so a
   * forged end cannot stop a running comparison.
   */
  public void acceptShadowEnd(String name, int version) throws IOException {
    checkName(name);
    Optional<Integer> s = shadowPointer(name).map(ShadowPointer::version);
    if (s.isPresent() && s.get() == version) {
      throw new IllegalArgumentException("model '" + name + "' v" + version + " is still the registry's shadow");
    }
  }

  /** Makes an existing version the shadow: scored beside the current one, never served. */
  public Version startShadow(String name, int version) throws IOException {
    checkName(name);
    return locked(name, () -> {
      acceptStored(name, version); // refuse what the job would refuse
      if (checkedCurrent(name) == version) {
        throw new IllegalArgumentException("model '" + name + "' v" + version + " is the current version: a shadow is compared against it");
      }
      writeAtomically(name, shadowFile(name), JSON.writeValueAsBytes(new ShadowPointer(version, Instant.now().toString())));
      return version(name, version);
    });
  }

  /** Ends the shadow; returns the version that was the shadow, if any. */
  public Optional<Version> endShadow(String name) throws IOException {
    checkName(name);
    return locked(name, () -> {
      Optional<Version> s = shadow(name);
      Files.deleteIfExists(shadowFile(name));
      fsyncDirectory(root.resolve(name));
      return s;
    });
  }

  /** The shadow version, if any. */
  public Optional<Version> shadow(String name) throws IOException {
    Optional<ShadowPointer> s = shadowPointer(name);
    return s.isEmpty() ? Optional.empty() : Optional.of(version(name, s.get().version()));
  }

  private void requireShadow(String name, int version) throws IOException {
    Optional<Integer> s = shadowPointer(name).map(ShadowPointer::version);
    if (s.isEmpty() || s.get() != version) {
      throw new IllegalArgumentException(
          "model '" + name + "' v" + version + " is not the registry's shadow (" + s.map(v -> "v" + v).orElse("it has none") + ")");
    }
  }

  private Optional<ShadowPointer> shadowPointer(String name) throws IOException {
    Path f = shadowFile(name);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    try {
      ShadowPointer p = JSON.readValue(f.toFile(), ShadowPointer.class);
      if (p == null || p.version() < 1) {
        throw new IllegalStateException(f + " is corrupt: it must name a version");
      }
      return Optional.of(p);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(f + " is corrupt (" + e.getOriginalMessage() + "): which version of '" + name + "' is the shadow is unknown");
    }
  }

  private Path shadowFile(String name) {
    return root.resolve(name).resolve("shadow.json");
  }

  /** {@link #accept} of a stored version, as the job would see its announcement. */
  private Accepted acceptStored(String name, int version) throws IOException {
    Version v = version(name, version);
    return accept(name, version, v.dir().toUri().toString(), v.sha256());
  }

  private void requireCurrent(String name, int version) throws IOException {
    int current = checkedCurrent(name);
    if (current != version) {
      throw new IllegalArgumentException(
          "model '" + name + "' v" + version + " is not the registry's current version (" + (current < 0 ? "it has none" : "v" + current) + ")");
    }
  }

  /** Verifies a bundle, stores it as the next version and makes that version current. */
  public Version publish(String name, Path bundleDir) throws IOException {
    checkName(name);
    ModelBundle.load(bundleDir); // fail before copying anything
    Path modelDir = root.resolve(name);
    Files.createDirectories(modelDir);
    Path staging = modelDir.resolve(".staging-" + UUID.randomUUID());
    Files.createDirectory(staging);
    try {
      try (Stream<Path> files = Files.list(bundleDir)) {
        for (Path f : files.toList()) {
          Path copy = staging.resolve(f.getFileName().toString());
          Files.copy(f, copy);
          fsync(copy); // on disk before current.json can point at it
        }
      }
      return locked(name, () -> store(name, modelDir, staging));
    } finally {
      FileTrees.deleteRecursively(staging); // gone once moved; otherwise what a failed publish left
    }
  }

  private Version store(String name, Path modelDir, Path staging) throws IOException {
    int v = versions(name).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    while (true) {
      try {
        Files.move(staging, modelDir.resolve("v" + v), StandardCopyOption.ATOMIC_MOVE);
        break;
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        v++; // another writer that does not take our lock got there first
      }
    }
    fsyncDirectory(modelDir);
    Path stored = modelDir.resolve("v" + v);
    try {
      makeReadOnly(stored);
      acceptStored(name, v); // the copy, as the job will see it
    } catch (IOException | RuntimeException e) {
      // a refused version must not stay behind, where it could be promoted or take a number
      stored.toFile().setWritable(true, true);
      FileTrees.deleteRecursively(stored);
      throw e;
    }
    setCurrent(name, v, "publish");
    return version(name, v);
  }

  /** Makes an existing version current. */
  public Version promote(String name, int version) throws IOException {
    checkName(name);
    return locked(
        name,
        () -> {
          acceptStored(name, version); // refuse what the job would refuse
          setCurrent(name, version, "promote");
          if (shadowPointer(name).map(ShadowPointer::version).orElse(-1) == version) {
            Files.delete(shadowFile(name)); // a promoted shadow is live now: nothing left to compare
            fsyncDirectory(root.resolve(name));
          }
          return version(name, version);
        });
  }

  /** Goes back to the version that was current before the current one. */
  public Version rollback(String name) throws IOException {
    checkName(name);
    return locked(
        name,
        () -> {
          Pointer p = pointer(name).orElseThrow(() -> new IllegalStateException("model '" + name + "' has no current version"));
          if (p.stack().size() < 2) {
            throw new IllegalStateException("model '" + name + "' has no earlier version to roll back to");
          }
          List<Integer> stack = new ArrayList<>(p.stack());
          stack.remove(stack.size() - 1);
          int back = stack.get(stack.size() - 1);
          try {
            acceptStored(name, back); // refuse what the job would refuse
          } catch (IllegalArgumentException | BundleException e) {
            throw new IllegalStateException(
                "cannot roll back model '" + name + "' from v" + p.current() + " to v" + back + ", current.json is unchanged: " + e.getMessage(), e);
          }
          writePointer(name, back, stack, p.log(), "rollback");
          return version(name, back);
        });
  }

  /** The current version, if any. */
  public Optional<Version> current(String name) throws IOException {
    int current = checkedCurrent(name);
    return current < 0 ? Optional.empty() : Optional.of(describe(name, current, true));
  }

  /** All published versions, oldest first. */
  public List<Version> list(String name) throws IOException {
    int current = checkedCurrent(name);
    List<Version> out = new ArrayList<>();
    for (int v : versions(name)) {
      out.add(describe(name, v, v == current));
    }
    return out;
  }

  /** Model names in the registry. */
  public List<String> names() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> Files.isRegularFile(p.resolve("current.json"))).map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * Resolves a bundle URI (as announced on model-updates) to the real path of a version directory,
   * refusing anything outside this registry's root, by its name or by where links lead.
   */
  public Path resolveUri(String uri) throws IOException {
    Path p;
    try {
      p = Path.of(java.net.URI.create(uri)).toAbsolutePath().normalize();
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new IllegalArgumentException("not a file URI: " + uri);
    }
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException("bundle " + p + " is outside the registry root " + root);
    }
    // and where it really is: a symbolic link inside the registry may lead out of it
    Path real;
    try {
      real = p.toRealPath();
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("bundle " + p + " does not exist");
    }
    Path realRoot = root.toRealPath();
    if (!real.startsWith(realRoot)) {
      throw new IllegalArgumentException("bundle " + p + " is really " + real + ", outside the registry root " + realRoot);
    }
    return real;
  }

  /** The description of a version (its manifest is read; the bundle is not verified here). */
  public Version version(String name, int version) throws IOException {
    int current = pointer(name).map(Pointer::current).orElse(-1);
    Path dir = root.resolve(name).resolve("v" + version);
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("model '" + name + "' has no version " + version + " in " + root);
    }
    return describe(name, version, version == current);
  }

  private Version describe(String name, int v, boolean current) throws IOException {
    Path dir = root.resolve(name).resolve("v" + v);
    BundleManifest m = ModelBundle.manifestOf(dir);
    String sha = Digests.sha256(dir.resolve(ModelBundle.MANIFEST));
    return new Version(name, v, dir, sha, m.modelType(), Files.getLastModifiedTime(dir).toInstant(), current);
  }

  private List<Integer> versions(String name) throws IOException {
    Path modelDir = root.resolve(name);
    if (!Files.isDirectory(modelDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(modelDir)) {
      return s.map(p -> VERSION_DIR.matcher(p.getFileName().toString()))
          .filter(Matcher::matches)
          .map(m -> Integer.parseInt(m.group(1)))
          .sorted()
          .toList();
    }
  }

  private Path pointerFile(String name) {
    return root.resolve(name).resolve("current.json");
  }

  private Optional<Pointer> pointer(String name) throws IOException {
    Path f = pointerFile(name);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    Pointer p;
    try {
      p = JSON.readValue(f.toFile(), Pointer.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(f + " is corrupt (" + e.getOriginalMessage() + "): which version of '" + name + "' is current is unknown");
    }
    if (p == null || p.log() == null || p.stack() == null || p.stack().isEmpty() || p.stack().get(p.stack().size() - 1) != p.current()) {
      throw new IllegalStateException(f + " is corrupt: its current version must top a non-empty stack, with a log");
    }
    return Optional.of(p);
  }

  /** The current version, -1 if none; refuses a pointer at a version that is not there. */
  private int checkedCurrent(String name) throws IOException {
    Optional<Pointer> p = pointer(name);
    if (p.isEmpty()) {
      return -1;
    }
    int v = p.get().current();
    Path dir = root.resolve(name).resolve("v" + v);
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(pointerFile(name) + " points at v" + v + ", but " + dir + " does not exist");
    }
    return v;
  }

  private void setCurrent(String name, int v, String action) throws IOException {
    Optional<Pointer> p = pointer(name);
    List<Integer> stack = new ArrayList<>(p.map(Pointer::stack).orElse(List.of()));
    stack.add(v);
    writePointer(name, v, stack, p.map(Pointer::log).orElse(List.of()), action);
  }

  private void writePointer(String name, int v, List<Integer> stack, List<Change> log, String action) throws IOException {
    List<Change> newLog = new ArrayList<>(log);
    newLog.add(new Change(v, action, Instant.now().toString()));
    writeAtomically(name, pointerFile(name), JSON.writeValueAsBytes(new Pointer(v, stack, newLog)));
  }

  private void writeAtomically(String name, Path target, byte[] content) throws IOException {
    Path dir = root.resolve(name);
    Path tmp = dir.resolve(".pointer-" + UUID.randomUUID() + ".json");
    ByteBuffer bytes = ByteBuffer.wrap(content);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        while (bytes.hasRemaining()) {
          ch.write(bytes);
        }
        ch.force(true); // the content is on disk before the name points at it
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
    fsyncDirectory(dir); // and the rename survives a crash
  }

  private static void fsync(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  private static void fsyncDirectory(Path dir) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException e) {
      return; // a platform that cannot open a directory (Windows) cannot sync one either
    }
    try (ch) {
      ch.force(true);
    }
  }

  private interface Action<T> {
    T run() throws IOException;
  }

  private <T> T locked(String name, Action<T> action) throws IOException {
    Path dir = root.resolve(name);
    Files.createDirectories(dir);
    Path lockFile = dir.resolve(".lock");
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
    jvmLock.lock();
    try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = ch.lock()) {
      return action.run();
    } finally {
      jvmLock.unlock();
    }
  }

  private static void makeReadOnly(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.toList()) {
        f.toFile().setWritable(false, false);
      }
    }
    dir.toFile().setWritable(false, false);
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("model name '" + name + "' must match " + NAME.pattern());
    }
  }
}
