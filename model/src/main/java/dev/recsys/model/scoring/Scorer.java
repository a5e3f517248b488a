package dev.recsys.model.scoring;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.BundleManifest.PopularItem;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.nn.BlockWeights;
import dev.recsys.model.nn.Blocks;
import dev.recsys.model.nn.MultAutoencoderBlock;
import dev.recsys.model.nn.SparseBatch;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Scores batches of users with one bundle: one forward pass through DJL for the whole batch, then
 * exclusion of rated items and top-K in plain Java. On the CPU of a JVM that resolved the Vector
 * API's module ({@code --add-modules=jdk.incubator.vector}), the forward pass stops before the
 * output layer and a {@link VectorOutputLayer} computes the logits, faster than libtorch's GEMM from
 * batches of 32 on (docs/benchmarks.md); elsewhere libtorch computes them. In {@link
 * ScoringMode two-stage} mode the forward pass stops before the output layer: a {@link
 * LowRankHead} proposes each user's candidates, and only those get exact logits.
 *
 * <p>Threads may score at once: each gets a DJL {@link Predictor} of its own (DJL's predictors are
 * not thread-safe), over the one copy of the weights. Close the Scorer, once no thread scores, to
 * free the native memory of its weights.
 */
public final class Scorer implements AutoCloseable {

  private final ModelBundle bundle;
  private final ItemVocabulary vocab;
  private final Model model;
  private final ThreadLocal<Predictor<RankRequest, Ranked[]>> predictor;
  private final java.util.Queue<Predictor<RankRequest, Ranked[]>> predictors = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final ScoringMode mode;
  /** Two-stage mode only. */
  private final LowRankHead head;
  /** Exact mode with the Vector API only. */
  private final VectorOutputLayer output;
  private final ThreadLocal<float[]> rowBuffer;
  /** The output layer's logits of a batch, per scoring thread ({@code output} only). */
  private final ThreadLocal<float[][]> logitBuffer = ThreadLocal.withInitial(() -> new float[1][0]);

  private Scorer(ModelBundle bundle, Model model, ScoringMode mode, LowRankHead head, VectorOutputLayer output) {
    this.bundle = bundle;
    this.vocab = bundle.vocabulary();
    this.model = model;
    this.mode = mode;
    this.head = head;
    this.output = output;
    this.rowBuffer = ThreadLocal.withInitial(() -> new float[vocab.size()]);
    RankTranslator translator = new RankTranslator(vocab.size(), rowBuffer);
    this.predictor = ThreadLocal.withInitial(() -> {
      Predictor<RankRequest, Ranked[]> p = model.newPredictor(translator);
      predictors.add(p);
      return p;
    });
  }

  /** Builds the bundle's network on a device (usually {@code Device.cpu()}), to score exactly. */
  public static Scorer open(ModelBundle bundle, Device device) {
    return open(bundle, device, ScoringMode.EXACT);
  }

  /**
   * Builds the bundle's network on a device, to score as {@code mode} says. Two-stage mode factorises
   * the output layer first. A model whose output layer has no more inputs than the rank (a
   * popularity model with one hidden unit, say) is scored exactly: {@link #mode()} says so.
   */
  public static Scorer open(ModelBundle bundle, Device device, ScoringMode mode) {
    return open(bundle, device, mode, true);
  }

  /** Whether this JVM resolved the Vector API's module, which {@link VectorOutputLayer} needs. */
  public static boolean vectorApi() {
    return ModuleLayer.boot().findModule(VectorOutputLayer.MODULE).isPresent();
  }

  /**
   * As {@link #open(ModelBundle, Device, ScoringMode)}; {@code vectorOutput} false makes libtorch
   * compute the exact output layer even where the Vector API could: on the CPU of a JVM for which
   * {@link #vectorApi()} holds.
   */
  public static Scorer open(ModelBundle bundle, Device device, ScoringMode mode, boolean vectorOutput) {
    DjlRuntime.configure();
    Model model = Model.newInstance("recsys-" + bundle.manifest().modelType(), device);
    try {
      MultAutoencoderBlock block = Blocks.create(bundle.architecture());
      BlockWeights.load(block, model.getNDManager(), bundle.weights());
      block.freezeParameters(true); // inference only: no gradients for these weights
      model.setBlock(block);
      LowRankHead head = null;
      String last = outputLayer(bundle);
      Tensor weight = bundle.weights().get(last + ".weight");
      if (!mode.exact() && mode.rank() < weight.shape()[0]) {
        head = LowRankHead.of(weight, bundle.weights().get(last + ".bias"), mode.rank(), model.getNDManager());
      }
      boolean java = head == null && vectorOutput && vectorApi() && Device.Type.CPU.equals(device.getDeviceType());
      VectorOutputLayer output = java ? VectorOutputLayer.of(weight, bundle.weights().get(last + ".bias")) : null;
      return new Scorer(bundle, model, head == null ? ScoringMode.EXACT : mode, head, output);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /** The output layer's name: the last decoder layer of the architecture. */
  private static String outputLayer(ModelBundle bundle) {
    return "dec" + (bundle.architecture().decoderDims().length - 2);
  }

  public ScoringMode mode() {
    return mode;
  }

  /** Which engine computes the exact output layer: "Vector API" or "libtorch". */
  public String outputLayerEngine() {
    return output != null ? "Vector API" : "libtorch";
  }

  public ModelBundle bundle() {
    return bundle;
  }

  public Recommendations score(UserQuery user, int k) {
    return score(List.of(user), k).get(0);
  }

  /** Top-k for every user, in input order, in one forward pass. */
  public List<Recommendations> score(List<UserQuery> users, int k) {
    List<int[]> inputs = new ArrayList<>();
    List<int[]> exclusions = new ArrayList<>();
    int[] row = new int[users.size()]; // users' row in the forward batch, or -1 for fallback
    for (int u = 0; u < users.size(); u++) {
      UserQuery q = users.get(u);
      int[] idx = knownIndices(q.positives());
      row[u] = idx.length == 0 ? -1 : inputs.size();
      if (idx.length > 0) {
        inputs.add(idx);
        // positives are rated by definition; both lists are excluded
        exclusions.add(IntStream.concat(Arrays.stream(knownIndices(q.rated())), Arrays.stream(idx)).toArray());
      }
    }
    Ranked[] ranked = inputs.isEmpty() ? new Ranked[0]
        : head != null ? rankTwoStage(SparseBatch.of(inputs), exclusions, k)
        : output != null ? rankVector(SparseBatch.of(inputs), exclusions, k)
        : rank(new RankRequest(SparseBatch.of(inputs), exclusions, k));
    List<Recommendations> out = new ArrayList<>(users.size());
    for (int u = 0; u < users.size(); u++) {
      if (row[u] < 0) {
        out.add(popularity(users.get(u).rated(), k));
        continue;
      }
      Ranked r = ranked[row[u]];
      List<ScoredItem> items = new ArrayList<>(r.items().length);
      for (int j = 0; j < r.items().length; j++) {
        items.add(new ScoredItem(vocab.movieId(r.items()[j]), r.scores()[j]));
      }
      out.add(new Recommendations(items, false));
    }
    return out;
  }

  /**
   * Raw logits [B × I], row-major, for users given as model indices (tests and benchmarks), from
   * the output layer that {@link #score} ranks with.
   */
  public float[] forward(SparseBatch batch) {
    if (output != null) {
      float[] logits = new float[batch.rows() * vocab.size()];
      vectorLogits(batch, logits);
      return logits;
    }
    DjlRuntime.disableGradientRecording();
    try (Predictor<SparseBatch, float[]> p = model.newPredictor(new LogitsTranslator(vocab.size()))) {
      return p.predict(batch);
    } catch (TranslateException e) {
      throw new IllegalStateException("forward pass failed", e);
    }
  }

  private Ranked[] rank(RankRequest request) {
    DjlRuntime.disableGradientRecording(); // callers' threads (Flink tasks) start with grad mode on
    try {
      return predictor.get().predict(request);
    } catch (TranslateException e) {
      throw new IllegalStateException("forward pass failed", e);
    }
  }

  /**
   * The network up to the output layer through DJL, then the output layer's logits in {@link
   * VectorOutputLayer}, split over as many threads as the calling thread's forward passes use.
   */
  private Ranked[] rankVector(SparseBatch batch, List<int[]> exclusions, int k) {
    int numItems = vocab.size();
    int rows = batch.rows();
    float[][] buffer = logitBuffer.get();
    if (buffer[0].length < rows * numItems) {
      buffer[0] = new float[rows * numItems];
    }
    float[] logits = buffer[0];
    vectorLogits(batch, logits);
    Ranked[] out = new Ranked[rows];
    IntStream.range(0, rows).parallel().forEach(r -> out[r] = Ranked.of(logits, r * numItems, numItems, exclusions.get(r), k));
    return out;
  }

  /** The logits of a batch into {@code logits[0 .. B·I)}: DJL up to the output layer, then {@link VectorOutputLayer}. */
  private void vectorLogits(SparseBatch batch, float[] logits) {
    DjlRuntime.disableGradientRecording();
    MultAutoencoderBlock block = (MultAutoencoderBlock) model.getBlock();
    float[] d;
    try (NDManager scope = model.getNDManager().newSubManager()) {
      d = block.lastHidden(new ParameterStore(scope, false), batch.toNDList(scope, vocab.size())).toFloatArray();
    }
    output.logits(d, batch.rows(), logits, ai.djl.pytorch.jni.JniUtils.getNumThreads());
  }

  /**
   * Two stages: the network up to the output layer, the approximate logits, each user's best
   * {@code candidates} of those (rated items excluded), then their exact logits and the top-k.
   */
  private Ranked[] rankTwoStage(SparseBatch batch, List<int[]> exclusions, int k) {
    DjlRuntime.disableGradientRecording();
    MultAutoencoderBlock block = (MultAutoencoderBlock) model.getBlock();
    int numItems = vocab.size();
    int h = head.hidden();
    int candidates = Math.max(k, mode.candidates());
    try (NDManager scope = model.getNDManager().newSubManager()) {
      NDArray hidden = block.lastHidden(new ParameterStore(scope, false), batch.toNDList(scope, numItems));
      float[] d = hidden.toFloatArray();
      FloatBuffer approx = head.approximate(hidden).toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
      Ranked[] out = new Ranked[batch.rows()];
      IntStream.range(0, out.length).parallel().forEach(r -> {
        float[] row = rowBuffer.get();
        approx.get(r * numItems, row, 0, numItems);
        for (int i : exclusions.get(r)) {
          row[i] = Float.NEGATIVE_INFINITY;
        }
        int[] cand = TopK.select(row, 0, numItems, candidates);
        float[] exact = new float[cand.length];
        head.rescore(d, r * h, cand, exact);
        int[] best = TopK.select(exact, 0, exact.length, k);
        int[] items = new int[best.length];
        float[] scores = new float[best.length];
        for (int j = 0; j < best.length; j++) {
          items[j] = cand[best[j]];
          scores[j] = exact[best[j]];
        }
        out[r] = new Ranked(items, scores);
      });
      return out;
    }
  }

  private int[] knownIndices(long[] movieIds) {
    return Arrays.stream(movieIds).mapToInt(vocab::indexOf).filter(i -> i >= 0).distinct().toArray();
  }

  private Recommendations popularity(long[] rated, int k) {
    Set<Long> exclude = new HashSet<>();
    for (long r : rated) {
      exclude.add(r);
    }
    List<ScoredItem> items = new ArrayList<>(k);
    List<PopularItem> popular = bundle.manifest().popularity();
    if (popular != null) {
      for (PopularItem p : popular) {
        if (items.size() == k) {
          break;
        }
        if (!exclude.contains(p.movieId())) {
          items.add(new ScoredItem(p.movieId(), p.count()));
        }
      }
    }
    return new Recommendations(items, true);
  }

  @Override
  public void close() {
    predictors.forEach(Predictor::close);
    if (head != null) {
      head.close();
    }
    model.close();
  }

  /** Users to rank: their input, the model indices to exclude per user, and k. */
  private record RankRequest(SparseBatch batch, List<int[]> exclusions, int k) {}

  /** One user's top-k model indices and their logits, best first. */
  private record Ranked(int[] items, float[] scores) {

    /** The top-k of the user's logits {@code values[from .. from+numItems)}, after marking the exclusions there. */
    static Ranked of(float[] values, int from, int numItems, int[] exclusions, int k) {
      for (int i : exclusions) {
        values[from + i] = Float.NEGATIVE_INFINITY;
      }
      int[] top = TopK.select(values, from, numItems, k);
      float[] scores = new float[top.length];
      for (int j = 0; j < top.length; j++) {
        scores[j] = values[from + top[j]];
      }
      return new Ranked(top, scores);
    }
  }

  /**
   * Forward pass, then exclusion and top-k in plain Java straight from the output tensor's memory
   * (a direct view, no copy of the B × I logits into the Java heap).
   */
  private static final class RankTranslator implements NoBatchifyTranslator<RankRequest, Ranked[]> {
    private final int numItems;
    private final ThreadLocal<float[]> rowBuffer;

    RankTranslator(int numItems, ThreadLocal<float[]> rowBuffer) {
      this.numItems = numItems;
      this.rowBuffer = rowBuffer;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, RankRequest input) {
      ctx.setAttachment("request", input);
      return input.batch().toNDList(ctx.getNDManager(), numItems);
    }

    @Override
    public Ranked[] processOutput(TranslatorContext ctx, NDList list) {
      RankRequest req = (RankRequest) ctx.getAttachment("request");
      FloatBuffer logits = list.head().toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
      Ranked[] out = new Ranked[req.batch().rows()];
      // rows are independent: rank them on the cores the forward pass has just released
      IntStream.range(0, out.length).parallel().forEach(r -> {
        float[] row = rowBuffer.get();
        logits.get(r * numItems, row, 0, numItems);
        out[r] = Ranked.of(row, 0, numItems, req.exclusions().get(r), req.k());
      });
      return out;
    }
  }

  /** SparseBatch in, flat logits out. */
  private static final class LogitsTranslator implements NoBatchifyTranslator<SparseBatch, float[]> {
    private final int numItems;

    LogitsTranslator(int numItems) {
      this.numItems = numItems;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, SparseBatch input) {
      return input.toNDList(ctx.getNDManager(), numItems);
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
      return list.head().toFloatArray();
    }
  }
}
