package dev.recsys.model.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ModelBundle;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
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

  private final Path root;

  public ModelRegistry(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /**
   * The one check of whether a version may be served, used by publish, promote, the job's
   * announcement verifier and its model loader alike: a valid model name; a URI that resolves to
   * {@code <root>/<name>/v<version>}, inside this registry; a bundle whose every checksum and
   * dimension verifies; and a manifest whose SHA-256 is the given one.
   *
   * @throws IllegalArgumentException or {@link dev.recsys.model.bundle.BundleException} saying
   *     what is wrong
   */
  public Accepted accept(String name, int version, String uri, String sha256) throws IOException {
    checkName(name);
    Path dir = resolveUri(uri);
    Path expected = root.resolve(name).resolve("v" + version);
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

  /** Verifies a bundle, stores it as the next version and makes that version current. */
  public Version publish(String name, Path bundleDir) throws IOException {
    checkName(name);
    ModelBundle.load(bundleDir); // fail before copying anything
    Path modelDir = root.resolve(name);
    Files.createDirectories(modelDir);
    Path staging = modelDir.resolve(".staging-" + UUID.randomUUID());
    Files.createDirectory(staging);
    try (Stream<Path> files = Files.list(bundleDir)) {
      for (Path f : files.toList()) {
        Files.copy(f, staging.resolve(f.getFileName().toString()));
      }
    }
    return locked(
        name,
        () -> {
          int v = versions(name).stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
          while (true) {
            try {
              Files.move(staging, modelDir.resolve("v" + v), StandardCopyOption.ATOMIC_MOVE);
              break;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
              v++; // another writer that does not take our lock got there first
            }
          }
          Path stored = modelDir.resolve("v" + v);
          makeReadOnly(stored);
          Version staged = version(name, v);
          accept(name, v, stored.toUri().toString(), staged.sha256()); // the copy, as the job will see it
          setCurrent(name, v, "publish");
          return version(name, v);
        });
  }

  /** Makes an existing version current. */
  public Version promote(String name, int version) throws IOException {
    checkName(name);
    return locked(
        name,
        () -> {
          Version target = version(name, version);
          accept(name, version, target.dir().toUri().toString(), target.sha256()); // refuse what the job would refuse
          setCurrent(name, version, "promote");
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
          writePointer(name, back, stack, p.log(), "rollback");
          return version(name, back);
        });
  }

  /** The current version, if any. */
  public Optional<Version> current(String name) throws IOException {
    Optional<Pointer> p = pointer(name);
    return p.isPresent() ? Optional.of(version(name, p.get().current())) : Optional.empty();
  }

  /** All published versions, oldest first. */
  public List<Version> list(String name) throws IOException {
    int current = pointer(name).map(Pointer::current).orElse(-1);
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
   * Resolves a bundle URI (as announced on model-updates) to a version directory, refusing anything
   * outside this registry's root.
   */
  public Path resolveUri(String uri) {
    Path p;
    try {
      p = Path.of(java.net.URI.create(uri)).toAbsolutePath().normalize();
    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
      throw new IllegalArgumentException("not a file URI: " + uri);
    }
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException("bundle " + p + " is outside the registry root " + root);
    }
    return p;
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

  private Optional<Pointer> pointer(String name) throws IOException {
    Path f = root.resolve(name).resolve("current.json");
    return Files.isRegularFile(f) ? Optional.of(JSON.readValue(f.toFile(), Pointer.class)) : Optional.empty();
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
    Path dir = root.resolve(name);
    Path tmp = dir.resolve(".current-" + UUID.randomUUID() + ".json");
    JSON.writeValue(tmp.toFile(), new Pointer(v, stack, newLog));
    Files.move(tmp, dir.resolve("current.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
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
