package dev.recsys.job;

import ai.djl.Device;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Scorer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model one subtask serves, and the next one being loaded. Loading (reading ~100 MB, checking
 * every checksum, building the network) runs on a background thread; the task thread swaps the
 * new model in between batches by calling {@link #poll()}, so a batch always finishes on the model
 * it started with. A failed load leaves the current model serving.
 *
 * <p>Not thread-safe apart from the hand-over: call everything but the loader from the task thread.
 */
final class ModelHolder implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ModelHolder.class);

  /** A model in service. */
  record Loaded(String name, int version, String sha256, Scorer scorer) {}

  /** What {@link #poll()} found: a swap or a refusal. */
  record Outcome(ModelUpdateEvent event, Loaded loaded, String error) {}

  private final ModelRegistry registry;
  private final String modelName;
  private final ExecutorService loader;
  private final AtomicReference<Outcome> ready = new AtomicReference<>();
  private Future<?> inFlight;
  private Loaded current;

  ModelHolder(Path registryRoot, String modelName) {
    this.registry = new ModelRegistry(registryRoot);
    this.modelName = modelName;
    this.loader =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "model-loader-" + modelName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Loads the registry's current version now, if there is one. */
  Optional<Loaded> loadRegistryCurrent() throws Exception {
    Optional<ModelRegistry.Version> v = registry.current(modelName);
    if (v.isEmpty()) {
      LOG.warn("registry {} has no current version of '{}': waiting for an announcement", registry.root(), modelName);
      return Optional.empty();
    }
    ModelRegistry.Version ver = v.get();
    try {
      install(load(new ModelUpdateEvent(modelName, ver.version(), ver.dir().toUri().toString(), ver.sha256(), ver.modelType(), 0, "start")));
    } catch (Exception e) {
      // a bad current version must not crash-loop the job: run without a model until an
      // announcement brings a good one
      LOG.error("cannot load the registry's current {} v{}: {}; waiting for an announcement", modelName, ver.version(), e.getMessage());
      return Optional.empty();
    }
    return Optional.of(current);
  }

  /** Starts loading an announced version in the background (unless it is already serving). */
  void request(ModelUpdateEvent e) {
    if (current != null && current.version() == e.version() && current.sha256().equals(e.sha256())) {
      return;
    }
    if (inFlight != null) {
      awaitLoader(); // announcements are rare: finish the previous one first, keeping their order
    }
    inFlight =
        loader.submit(
            () -> {
              try {
                ready.set(new Outcome(e, load(e), null));
              } catch (Throwable t) {
                LOG.warn("refusing {} v{}: {}", e.name(), e.version(), t.getMessage());
                ready.set(new Outcome(e, null, t.getMessage() == null ? t.toString() : t.getMessage()));
              }
            });
  }

  /** Loads synchronously, for the restore path where the announced version must serve first. */
  Outcome loadNow(ModelUpdateEvent e) {
    try {
      Loaded l = load(e);
      install(l);
      return new Outcome(e, l, null);
    } catch (Exception ex) {
      return new Outcome(e, null, ex.getMessage());
    }
  }

  /** Applies a finished background load, if any: swaps the model in, or reports the refusal. */
  Optional<Outcome> poll() {
    Outcome o = ready.getAndSet(null);
    if (o == null) {
      return Optional.empty();
    }
    inFlight = null;
    if (o.loaded() != null) {
      install(o.loaded());
    }
    return Optional.of(o);
  }

  Loaded current() {
    return current;
  }

  /** Waits for a background load to finish (tests, and ordered announcements). */
  void awaitLoader() {
    Future<?> f = inFlight;
    if (f != null) {
      try {
        f.get(5, TimeUnit.MINUTES);
      } catch (Exception e) {
        throw new IllegalStateException("model loader did not finish", e);
      }
    }
  }

  private Loaded load(ModelUpdateEvent e) throws Exception {
    if (!modelName.equals(e.name())) {
      throw new IllegalArgumentException("announcement for model '" + e.name() + "', this job serves '" + modelName + "'");
    }
    Path dir = registry.resolveUri(e.uri());
    ModelBundle bundle = ModelBundle.load(dir); // verifies checksums and dimensions
    if (!bundle.sha256().equals(e.sha256())) {
      throw new IllegalArgumentException(
          "bundle " + dir + " has manifest SHA-256 " + bundle.sha256() + " but the announcement says " + e.sha256());
    }
    Scorer scorer = Scorer.open(bundle, Device.cpu());
    LOG.info("loaded {} v{} from {}", e.name(), e.version(), dir);
    return new Loaded(e.name(), e.version(), e.sha256(), scorer);
  }

  private void install(Loaded next) {
    Loaded old = current;
    current = next;
    if (old != null && old.scorer() != next.scorer()) {
      old.scorer().close();
    }
  }

  @Override
  public void close() {
    loader.shutdownNow();
    Outcome pending = ready.getAndSet(null);
    if (pending != null && pending.loaded() != null) {
      pending.loaded().scorer().close();
    }
    if (current != null) {
      current.scorer().close();
      current = null;
    }
  }
}
