package dev.recsys.job;

import ai.djl.Device;
import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
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
 *   <li><b>Start:</b> the version recorded in broadcast state (after a restore), else the
 *       registry's current one, loaded before the first event.
 *   <li><b>Announcements</b> (already accepted by {@link VerifyModelUpdates}) are recorded in
 *       broadcast state, one entry per model name: the one published last, by its {@code
 *       publishedAt}, so every subtask records the same entry whatever order announcements reach
 *       it in. The version is then loaded on a background thread, through the registry's {@link
 *       ModelRegistry#accept} check again, and handed to the task thread, which swaps it in. The
 *       scoring threads take the model once per batch ({@link #acquire}), so a batch always
 *       finishes on the model it started with; a replaced model is closed by a scoring thread
 *       between batches, once no thread's batch uses it.
 *   <li><b>A refusal</b> (the bundle changed since it was verified, or cannot be built) becomes a
 *       dead letter and a {@code modelLoadFailures} count, while the current version keeps
 *       serving.
 * </ul>
 *
 * <p>A <b>shadow</b> version (announced with action {@code shadow}, recorded under {@code
 * <name>/shadow}) is loaded the same way into a second slot, {@link #shadow()}: the scoring thread
 * scores it beside the live one for online comparison, and its lists are never emitted. An {@code
 * end-shadow} of that version empties the slot; whenever the slot's version changes or empties,
 * {@code onShadowChange} runs on the task thread, so that the operator drops the old shadow's lists.
 *
 * <p>Its metrics: the gauges {@code modelVersion} and {@code shadowVersion} (-1 while none is
 * loaded) and {@code modelLoadFailures}. Call it from the task thread, except {@link #current()},
 * {@link #acquire()} and {@link #release()}.
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

  private final ModelRegistry registry;
  private final String modelName;
  private final ScoringMode scoringMode;
  private final boolean vectorApi;
  private final String updatesTopic;
  private final ExecutorService loader;
  private final Executor taskThread;
  private final Consumer<DeadLetterEvent> deadLetters;
  private final Runnable onSwap;
  private final Runnable onShadowChange;
  private final Counter loadFailures;
  private final ConcurrentLinkedQueue<Scorer> retired = new ConcurrentLinkedQueue<>();
  /** Held for reading by each batch being scored, for writing while retired models close (fair: a closing waits for batches in flight only). */
  private final ReentrantReadWriteLock inUse = new ReentrantReadWriteLock(true);
  private volatile Loaded current;
  private volatile Loaded shadow;
  private Future<?> inFlight;

  /**
   * @param taskThread runs a finished load's swap or refusal on the task thread (the mailbox)
   * @param deadLetters receives refusals, on the task thread
   * @param onSwap runs after a model came into service
   * @param onShadowChange runs after the shadow slot changed version or emptied
   */
  ServedModel(JobConfig config, MetricGroup metrics, Executor taskThread, Consumer<DeadLetterEvent> deadLetters, Runnable onSwap,
      Runnable onShadowChange) {
    this.registry = new ModelRegistry(Path.of(config.get(JobConfig.REGISTRY)));
    this.modelName = config.get(JobConfig.MODEL_NAME);
    this.scoringMode = config.scoringMode();
    this.vectorApi = config.get(JobConfig.SCORING_VECTOR_API);
    this.updatesTopic = config.get(JobConfig.MODEL_UPDATES_TOPIC);
    this.taskThread = taskThread;
    this.deadLetters = deadLetters;
    this.onSwap = onSwap;
    this.onShadowChange = onShadowChange;
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "model-loader-" + modelName);
      t.setDaemon(true);
      return t;
    });
    this.loadFailures = metrics.counter("modelLoadFailures");
    metrics.gauge("modelVersion", () -> {
      Loaded c = current;
      return c == null ? -1 : c.version();
    });
    metrics.gauge("shadowVersion", () -> {
      Loaded c = shadow;
      return c == null ? -1 : c.version();
    });
  }

  /**
   * Loads what this subtask serves first: the version its broadcast state recorded (a restored
   * job), else the registry's current one. One that does not load leaves the subtask without a
   * model (users wait) rather than failing it: a restart would meet the same file again.
   */
  void start(BroadcastState<String, ModelUpdateEvent> state) throws Exception {
    startLive(state);
    startShadow(state);
  }

  private void startShadow(BroadcastState<String, ModelUpdateEvent> state) throws Exception {
    ModelUpdateEvent recorded = state.get(modelName + "/shadow");
    try {
      if (recorded != null) {
        if (ModelUpdateEvent.SHADOW.equals(recorded.action())) {
          shadow = load(recorded);
        }
        return;
      }
      Optional<ModelRegistry.Version> v = registry.shadow(modelName);
      if (v.isPresent()) {
        ModelRegistry.Version ver = v.get();
        shadow = load(ModelUpdateEvent.of(modelName, ver.version(), ver.dir(), ver.sha256(), ver.modelType(), 0, ModelUpdateEvent.SHADOW));
      }
    } catch (Exception | OutOfMemoryError e) {
      loadFailures.inc();
      LOG.error("cannot load the shadow of '{}': {}; no online comparison until one is announced", modelName, message(e));
    }
  }

  private void startLive(BroadcastState<String, ModelUpdateEvent> state) throws Exception {
    ModelUpdateEvent recorded = state.get(modelName);
    if (recorded != null) {
      try {
        install(load(recorded));
        LOG.info("restored: serving {} v{} as recorded in broadcast state", recorded.name(), recorded.version());
        return;
      } catch (Exception | OutOfMemoryError e) {
        refused(recorded, message(e));
      }
    }
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
      LOG.error("cannot serve the registry's current '{}': {}; users wait for an announcement", modelName, message(e));
    }
  }

  /** Records an accepted announcement and starts loading it unless it is already in service. */
  void announced(ModelUpdateEvent e, BroadcastState<String, ModelUpdateEvent> state) throws Exception {
    if (!modelName.equals(e.name())) {
      return;
    }
    ModelUpdateEvent recorded = state.get(e.key());
    if (recorded != null && PUBLICATION_ORDER.compare(e, recorded) <= 0) {
      LOG.info("ignoring {} v{} ({}): v{} was announced later", e.name(), e.version(), e.action(), recorded.version());
      return;
    }
    state.put(e.key(), e);
    if (ModelUpdateEvent.END_SHADOW.equals(e.action())) {
      awaitLoader(); // a shadow load still running must not come in after its end
      Loaded s = shadow;
      if (s != null && s.version() == e.version()) {
        installShadow(null);
        LOG.info("shadow {} v{} ended", e.name(), e.version());
      }
      return;
    }
    Loaded c = e.isShadow() ? shadow : current;
    if (c != null && e.sameBundle(c.announcement())) {
      return;
    }
    awaitLoader(); // announcements are rare: finish the previous load first, keeping their order
    inFlight = loader.submit(() -> {
      try {
        Loaded next = load(e);
        taskThread.execute(() -> {
          if (e.isShadow()) {
            installShadow(next);
            LOG.info("now shadowing {} v{}", next.name(), next.version());
          } else {
            install(next);
            LOG.info("now serving {} v{}", next.name(), next.version());
          }
        });
      } catch (Exception | OutOfMemoryError t) {
        String why = message(t);
        taskThread.execute(() -> refused(e, why));
      }
    });
  }

  /** The model in service, or null while none is; any thread. */
  Loaded current() {
    return current;
  }

  /** The shadow version, or null while none runs; any thread. */
  Loaded shadow() {
    return shadow;
  }

  /**
   * A scoring thread's model (and {@link #shadow()}) for its next batch, in use until {@link
   * #release()}. Models swapped out before it are closed first, once no other thread's batch uses them.
   */
  Loaded acquire() {
    closeRetired();
    inUse.readLock().lock();
    return current;
  }

  /** The batch taken with {@link #acquire()} is scored. */
  void release() {
    inUse.readLock().unlock();
  }

  private void closeRetired() {
    if (retired.isEmpty()) {
      return;
    }
    inUse.writeLock().lock();
    try {
      Scorer s;
      while ((s = retired.poll()) != null) {
        s.close();
      }
    } finally {
      inUse.writeLock().unlock();
    }
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
    ModelRegistry.Accepted a = registry.accept(e.name(), e.version(), e.uri(), e.sha256());
    Scorer scorer = Scorer.open(a.bundle(), Device.cpu(), scoringMode, vectorApi);
    LOG.info("loaded {} v{} from {}, scored {}, output layer on {}", e.name(), e.version(), a.version().dir(), scorer.mode(),
        scorer.outputLayerEngine());
    if (scorer.mode().exact() && vectorApi && !Scorer.vectorApi()) {
      LOG.warn("this JVM has not resolved jdk.incubator.vector, so libtorch computes the output layer: start the TaskManagers' JVM "
          + "with --add-modules=jdk.incubator.vector for the faster Java one (docs/benchmarks.md)");
    }
    return new Loaded(e, scorer);
  }

  private void install(Loaded next) {
    Loaded old = current;
    current = next;
    if (old != null) {
      retired.add(old.scorer());
    }
    onSwap.run();
  }

  private void installShadow(Loaded next) {
    Loaded old = shadow;
    shadow = next;
    if (old != null) {
      retired.add(old.scorer());
    }
    if (old != null && (next == null || old.version() != next.version())) {
      onShadowChange.run();
    }
  }

  private void refused(ModelUpdateEvent e, String why) {
    loadFailures.inc();
    Loaded c = current;
    String msg = "refused model " + e.name() + " v" + e.version() + ": " + why + (c == null ? "" : " (still serving v" + c.version() + ")");
    LOG.warn(msg);
    deadLetters.accept(DeadLetters.of(updatesTopic, -1, -1, JsonCodec.MODEL_UPDATE.encode(e), msg));
  }

  private static String message(Throwable t) {
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** Call once the scoring thread has stopped. */
  @Override
  public void close() {
    loader.shutdownNow();
    closeRetired();
    for (Loaded c : new Loaded[] {current, shadow}) {
      if (c != null) {
        c.scorer().close();
      }
    }
    current = null;
    shadow = null;
  }
}
