package dev.recsys.job;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Scorer;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model one scoring subtask serves, from start to swap: everything about which version is in
 * service lives here.
 *
 * <ul>
 *   <li><b>Start:</b> the registry's current version, loaded before the first event.
 *   <li><b>Announcements</b> (already accepted by {@link VerifyModelUpdates}) are recorded in
 *       broadcast state, one entry per model name: the one published last, by its {@code
 *       publishedAt}, so every subtask records the same entry whatever order announcements reach
 *       it in. The version is then loaded on a background thread, through the registry's {@link
 *       ModelRegistry#accept} check again, and swapped in between batches by {@link #refresh}, so a
 *       batch always finishes on the model it started with.
 *   <li><b>After a restore,</b> the first {@link #refresh} serves what broadcast state recorded,
 *       before anything is scored.
 *   <li><b>A refusal</b> (the bundle changed since it was verified, or cannot be built) becomes a
 *       dead letter and a {@code modelLoadFailures} count, while the current version keeps
 *       serving.
 * </ul>
 *
 * <p>Its metrics: the gauge {@code modelVersion} (-1 while none is loaded) and {@code
 * modelLoadFailures}. Not thread-safe apart from the loader's hand-over: call it from the task
 * thread.
 */
final class ServedModel implements AutoCloseable {

  /** The latest accepted announcement per model name. */
  static final MapStateDescriptor<String, ModelUpdateEvent> ANNOUNCED =
      new MapStateDescriptor<>("announced-model", Types.STRING, TypeInformation.of(ModelUpdateEvent.class));

  /** Of two announcements of one model, the one made later wins (ties: the higher version). */
  static final Comparator<ModelUpdateEvent> PUBLICATION_ORDER =
      Comparator.comparingLong(ModelUpdateEvent::publishedAt).thenComparingInt(ModelUpdateEvent::version).thenComparing(ModelUpdateEvent::sha256);

  private static final Logger LOG = LoggerFactory.getLogger(ServedModel.class);

  /** A model in service. */
  record Loaded(ModelUpdateEvent announcement, Scorer scorer) {
    String name() {
      return announcement.name();
    }

    int version() {
      return announcement.version();
    }
  }

  /** A finished background load: the model, or why it was refused. */
  private record Outcome(ModelUpdateEvent event, Loaded loaded, String error) {}

  private final ModelRegistry registry;
  private final String modelName;
  private final String updatesTopic;
  private final ExecutorService loader;
  private final AtomicReference<Outcome> ready = new AtomicReference<>();
  private final Counter loadFailures;
  private Future<?> inFlight;
  private Loaded current;
  private boolean restored;

  ServedModel(JobConfig config, MetricGroup metrics) {
    this.registry = new ModelRegistry(Path.of(config.get(JobConfig.REGISTRY)));
    this.modelName = config.get(JobConfig.MODEL_NAME);
    this.updatesTopic = config.get(JobConfig.MODEL_UPDATES_TOPIC);
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "model-loader-" + modelName);
      t.setDaemon(true);
      return t;
    });
    this.loadFailures = metrics.counter("modelLoadFailures");
    metrics.gauge("modelVersion", () -> current == null ? -1 : current.version());
  }

  /**
   * Loads the registry's current version, if there is one. A version that does not load leaves the
   * subtask without a model (users wait) rather than failing it: a restart would meet the same
   * file again.
   */
  void start() {
    try {
      Optional<ModelRegistry.Version> v = registry.current(modelName);
      if (v.isEmpty()) {
        LOG.warn("registry {} has no current version of '{}': users wait for an announcement", registry.root(), modelName);
        return;
      }
      ModelRegistry.Version ver = v.get();
      install(load(ModelUpdateEvent.of(modelName, ver.version(), ver.dir(), ver.sha256(), ver.modelType(), 0, null)));
    } catch (Exception | OutOfMemoryError e) {
      loadFailures.inc();
      LOG.error("cannot serve the registry's current '{}': {}; users wait for an announcement", modelName, e.toString());
    }
  }

  /** Records an accepted announcement and starts loading it unless it is already in service. */
  void announced(ModelUpdateEvent e, BroadcastState<String, ModelUpdateEvent> state) throws Exception {
    if (!modelName.equals(e.name())) {
      return;
    }
    ModelUpdateEvent recorded = state.get(e.name());
    if (recorded != null && PUBLICATION_ORDER.compare(e, recorded) <= 0) {
      LOG.info("ignoring {} v{}: v{} was announced later", e.name(), e.version(), recorded.version());
      return;
    }
    state.put(e.name(), e);
    restored = true; // a live announcement supersedes whatever a restore would pick
    request(e);
  }

  /**
   * Between batches: after a restore, serve the recorded version first (synchronously); then apply
   * a finished background load.
   *
   * @param deadLetters receives a refusal
   * @return whether another model came into service
   */
  boolean refresh(ReadOnlyBroadcastState<String, ModelUpdateEvent> state, Consumer<DeadLetterEvent> deadLetters) throws Exception {
    boolean swapped = false;
    if (!restored) {
      restored = true;
      ModelUpdateEvent recorded = state.get(modelName);
      if (recorded != null && (current == null || !recorded.sameBundle(current.announcement()))) {
        try {
          install(load(recorded));
          LOG.info("restored: serving {} v{} as recorded in broadcast state", recorded.name(), recorded.version());
          swapped = true;
        } catch (Exception | OutOfMemoryError ex) {
          refused(recorded, ex, deadLetters);
        }
      }
    }
    Outcome o = ready.getAndSet(null);
    if (o != null) {
      inFlight = null;
      if (o.loaded() != null) {
        install(o.loaded());
        LOG.info("now serving {} v{}", o.loaded().name(), o.loaded().version());
        swapped = true;
      } else {
        refused(o.event(), o.error(), deadLetters);
      }
    }
    return swapped;
  }

  /** The model in service, or null while none is. */
  Loaded current() {
    return current;
  }

  /** Waits for a background load to finish (tests). */
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

  private void request(ModelUpdateEvent e) {
    if (current != null && e.sameBundle(current.announcement())) {
      return;
    }
    awaitLoader(); // announcements are rare: finish the previous load first, keeping their order
    inFlight = loader.submit(() -> {
      try {
        ready.set(new Outcome(e, load(e), null));
      } catch (Exception | OutOfMemoryError t) {
        ready.set(new Outcome(e, null, t.getMessage() == null ? t.toString() : t.getMessage()));
      }
    });
  }

  private Loaded load(ModelUpdateEvent e) throws Exception {
    ModelRegistry.Accepted a = registry.accept(e.name(), e.version(), e.uri(), e.sha256());
    Scorer scorer = Scorer.open(a.bundle(), Device.cpu());
    LOG.info("loaded {} v{} from {}", e.name(), e.version(), a.version().dir());
    return new Loaded(e, scorer);
  }

  private void install(Loaded next) {
    Loaded old = current;
    current = next;
    if (old != null && old.scorer() != next.scorer()) {
      old.scorer().close();
    }
  }

  private void refused(ModelUpdateEvent e, Throwable why, Consumer<DeadLetterEvent> deadLetters) {
    refused(e, why.getMessage() == null ? why.toString() : why.getMessage(), deadLetters);
  }

  private void refused(ModelUpdateEvent e, String why, Consumer<DeadLetterEvent> deadLetters) {
    loadFailures.inc();
    String msg = "refused model " + e.name() + " v" + e.version() + ": " + why + (current == null ? "" : " (still serving v" + current.version() + ")");
    LOG.warn(msg);
    deadLetters.accept(DeadLetters.of(updatesTopic, -1, -1, JsonCodec.MODEL_UPDATE.encode(e), msg));
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
