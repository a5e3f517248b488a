package dev.recsys.model.scoring;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;
import dev.recsys.model.DjlRuntime;
import dev.recsys.model.bundle.BundleManifest.PopularItem;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.nn.BlockWeights;
import dev.recsys.model.nn.Blocks;
import dev.recsys.model.nn.MultAutoencoderBlock;
import dev.recsys.model.nn.SparseBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scores batches of users with one bundle: one forward pass through DJL for the whole batch, then
 * exclusion of rated items and top-K in plain Java.
 *
 * <p>Not thread-safe: it owns one DJL {@link Predictor}. Use one Scorer per thread or per operator
 * instance. Close it to free the native memory of its weights.
 */
public final class Scorer implements AutoCloseable {

  private final ModelBundle bundle;
  private final ItemVocabulary vocab;
  private final Model model;
  private final Predictor<SparseBatch, float[]> predictor;

  private Scorer(ModelBundle bundle, Model model) {
    this.bundle = bundle;
    this.vocab = bundle.vocabulary();
    this.model = model;
    this.predictor = model.newPredictor(new LogitsTranslator());
  }

  /** Builds the bundle's network on a device (usually {@code Device.cpu()}). */
  public static Scorer open(ModelBundle bundle, Device device) {
    DjlRuntime.configure();
    Model model = Model.newInstance("recsys-" + bundle.manifest().modelType(), device);
    try {
      MultAutoencoderBlock block = Blocks.create(bundle.architecture(), 0f);
      BlockWeights.load(block, model.getNDManager(), bundle.weights());
      block.freezeParameters(true); // inference only: no gradients for these weights
      model.setBlock(block);
      return new Scorer(bundle, model);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  public ModelBundle bundle() {
    return bundle;
  }

  public Recommendations score(UserQuery user, int k) {
    return score(List.of(user), k).get(0);
  }

  /** Top-k for every user, in input order, in one forward pass. */
  public List<Recommendations> score(List<UserQuery> users, int k) {
    int n = vocab.size();
    List<int[]> inputs = new ArrayList<>();
    int[] row = new int[users.size()]; // users' row in the forward batch, or -1 for fallback
    for (int u = 0; u < users.size(); u++) {
      int[] idx = knownIndices(users.get(u).positives());
      row[u] = idx.length == 0 ? -1 : inputs.size();
      if (idx.length > 0) {
        inputs.add(idx);
      }
    }
    float[] logits = inputs.isEmpty() ? new float[0] : forward(SparseBatch.of(inputs));
    List<Recommendations> out = new ArrayList<>(users.size());
    for (int u = 0; u < users.size(); u++) {
      UserQuery q = users.get(u);
      if (row[u] < 0) {
        out.add(popularity(q.rated(), k));
        continue;
      }
      int offset = row[u] * n;
      for (int i : knownIndices(q.rated())) {
        logits[offset + i] = Float.NEGATIVE_INFINITY;
      }
      for (int i : knownIndices(q.positives())) { // positives are rated by definition
        logits[offset + i] = Float.NEGATIVE_INFINITY;
      }
      int[] top = TopK.select(logits, offset, n, k);
      List<ScoredItem> items = new ArrayList<>(top.length);
      for (int i : top) {
        items.add(new ScoredItem(vocab.movieId(i), logits[offset + i]));
      }
      out.add(new Recommendations(items, false));
    }
    return out;
  }

  /** Raw logits [B × I], row-major, for users given as model indices. */
  public float[] forward(SparseBatch batch) {
    DjlRuntime.disableGradientRecording(); // callers' threads (Flink tasks) start with grad mode on
    try {
      return predictor.predict(batch);
    } catch (TranslateException e) {
      throw new IllegalStateException("forward pass failed", e);
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
    predictor.close();
    model.close();
  }

  /** SparseBatch in, flat logits out. */
  private static final class LogitsTranslator implements NoBatchifyTranslator<SparseBatch, float[]> {
    @Override
    public NDList processInput(TranslatorContext ctx, SparseBatch input) {
      return input.toNDList(ctx.getNDManager());
    }

    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
      return list.head().toFloatArray();
    }
  }
}
