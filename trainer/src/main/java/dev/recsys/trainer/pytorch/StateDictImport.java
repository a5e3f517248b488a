package dev.recsys.trainer.pytorch;

import ai.djl.Device;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.BundleManifest;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ItemVocabulary;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.SafetensorsFile;
import dev.recsys.model.nn.BlockWeights;
import dev.recsys.model.nn.SparseBatch;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.trainer.TrainingPipeline;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Mult-VAE or Mult-DAE trained in PyTorch, made into a bundle the registry and the job accept:
 * the state dict ({@code safetensors.torch.save_file(model.state_dict(), FILE)}) is read, its
 * tensors named by a {@link LayerMapping}, transposed from {@code nn.Linear}'s {@code [out, in]}
 * to the bundle's {@code [in, out]}, and checked: the architecture is inferred from the shapes
 * (Mult-VAE when the last encoder layer emits twice the decoder's input, μ then log σ²; Mult-DAE
 * when it emits as many), every tensor must have the shape that architecture needs and finite
 * values, and the item list must have one movieId per input column.
 */
public final class StateDictImport {

  private StateDictImport() {}

  /**
   * What to import.
   *
   * @param stateDict the safetensors state dict
   * @param mapping tensor names, or null for {@link LayerMapping#defaultFor}
   * @param expectedType refuse the import unless the shapes are of this type; null accepts either
   * @param items the movieIds of the model's columns, in column order
   * @param itemsSource where the movieIds come from, for messages
   * @param split the split the model was trained on, for the popularity fallback and the data
   *     fingerprint; may be null
   * @param out the bundle directory to write; must not exist
   */
  public record Options(
      Path stateDict, LayerMapping mapping, ModelType expectedType, long[] items, Path itemsSource, SplitData split, Path out) {}

  /** The state dict's tensors as bundle parameters, and the architecture their shapes make. */
  public record Converted(Architecture architecture, Map<String, Tensor> weights) {}

  /** Reads, converts and verifies the state dict, and writes and loads the bundle. */
  public static ModelBundle run(Options o) throws IOException {
    Map<String, Tensor> state;
    try {
      state = SafetensorsFile.read(o.stateDict());
    } catch (BundleException e) {
      throw new IllegalArgumentException("state dict " + o.stateDict() + ": " + e.problem(), e);
    }
    LayerMapping mapping = o.mapping() != null ? o.mapping() : LayerMapping.defaultFor(o.stateDict(), state.keySet());
    Converted c = convert(o.stateDict(), state, mapping, o.expectedType());
    Architecture arch = c.architecture();
    if (o.items().length != arch.numItems()) {
      throw new IllegalArgumentException(
          o.itemsSource() + " lists " + o.items().length + " movieIds, but the state dict's first layer ("
              + mapping.bundleToState().get("enc0.weight") + ") takes " + arch.numItems() + " items");
    }
    ItemVocabulary vocab;
    try {
      vocab = new ItemVocabulary(o.items());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(o.itemsSource() + ": " + e.getMessage(), e);
    }
    Map<String, Object> provenance = new LinkedHashMap<>();
    provenance.put("importedFrom", "pytorch state dict " + o.stateDict().getFileName());
    provenance.put("stateDictSha256", Digests.sha256(o.stateDict()));
    provenance.put("mapping", mapping.description());
    SplitData split = o.split();
    BundleManifest manifest =
        new BundleManifest(
            BundleManifest.FORMAT_VERSION, arch.type().id(), arch.numItems(), arch.hidden(), arch.latent(), provenance,
            split == null ? null : split.fingerprint(), Map.of(), split == null ? null : split.popularity(TrainingPipeline.POPULAR_ITEMS),
            Instant.now().toString(), null);
    ModelBundle.write(o.out(), manifest, vocab, c.weights());
    return ModelBundle.load(o.out()); // as publish and the job will check it
  }

  /**
   * The mapped tensors in the bundle's names and layout, in {@link Architecture#parameterShapes}
   * order, and the architecture they make.
   *
   * @throws IllegalArgumentException naming the state dict and the tensor at fault
   */
  public static Converted convert(Path file, Map<String, Tensor> state, LayerMapping mapping, ModelType expectedType) {
    String where = "state dict " + file;
    Map<String, String> toState = mapping.bundleToState();
    for (String name : state.keySet()) {
      if (!toState.containsValue(name)) {
        throw new IllegalArgumentException(
            where + ": tensor " + name + " is not in the mapping (" + mapping.description() + "); a Mult-VAE or Mult-DAE has only"
                + " its linear layers' weights and biases");
      }
    }
    Map<String, Tensor> converted = new LinkedHashMap<>();
    for (Map.Entry<String, String> m : toState.entrySet()) {
      String parameter = m.getKey();
      String name = m.getValue();
      Tensor t = state.get(name);
      if (t == null) {
        throw new IllegalArgumentException(where + " has no tensor " + name + " (bundle parameter " + parameter + ", " + mapping.description() + ")");
      }
      boolean weight = parameter.endsWith(".weight");
      if (t.shape().length != (weight ? 2 : 1)) {
        throw new IllegalArgumentException(
            where + ": tensor " + name + " has shape " + Arrays.toString(t.shape()) + ", but " + parameter + " is a linear layer's "
                + (weight ? "weight, [out, in]" : "bias, [out]"));
      }
      float[] data = t.data();
      for (int i = 0; i < data.length; i++) {
        if (!Float.isFinite(data[i])) {
          throw new IllegalArgumentException(where + ": tensor " + name + " holds a non-finite value (" + data[i] + ") at index " + i);
        }
      }
      converted.put(parameter, weight ? transposed(t) : t);
    }
    Architecture arch = architecture(where, converted, mapping);
    if (expectedType != null && expectedType != arch.type()) {
      throw new IllegalArgumentException(where + ": --model " + expectedType.id() + ", but its shapes are those of a Mult-" + arch.type().name() + ": " + arch);
    }
    Map<String, long[]> needed = arch.parameterShapes();
    if (!needed.keySet().equals(converted.keySet())) {
      throw new IllegalArgumentException(
          where + ": the mapping gives the decoder " + mapping.layers("dec") + " layers, but the decoder of " + arch
              + " mirrors the encoder's " + mapping.layers("enc"));
    }
    for (Map.Entry<String, long[]> e : needed.entrySet()) {
      long[] has = converted.get(e.getKey()).shape();
      if (!Arrays.equals(has, e.getValue())) {
        boolean weight = e.getKey().endsWith(".weight");
        throw new IllegalArgumentException(
            where + ": tensor " + toState.get(e.getKey()) + " has shape " + Arrays.toString(torchLayout(has, weight)) + ", but "
                + e.getKey() + " of " + arch + " (the architecture the first layers and the decoder's input make) needs "
                + Arrays.toString(torchLayout(e.getValue(), weight)) + (weight ? " ([out, in])" : ""));
      }
    }
    return new Converted(arch, converted);
  }

  /**
   * The architecture from the encoder's shapes and the decoder's input: the items are the first
   * layer's input, the hidden sizes the encoder layers' outputs but the last, the latent size the
   * decoder's input.
   */
  private static Architecture architecture(String where, Map<String, Tensor> w, LayerMapping mapping) {
    Map<String, String> toState = mapping.bundleToState();
    int layers = mapping.layers("enc");
    int[] hidden = new int[layers - 1];
    for (int k = 0; k + 1 < layers; k++) {
      hidden[k] = size(where, w.get("enc" + k + ".weight").shape()[1], toState.get("enc" + k + ".weight"));
    }
    long[] last = w.get("enc" + (layers - 1) + ".weight").shape();
    long[] dec0 = w.get("dec0.weight").shape();
    int items = size(where, w.get("enc0.weight").shape()[0], toState.get("enc0.weight"));
    int latent = size(where, dec0[0], toState.get("dec0.weight"));
    ModelType type;
    if (last[1] == 2 * dec0[0]) {
      type = ModelType.VAE;
    } else if (last[1] == dec0[0]) {
      type = ModelType.DAE;
    } else {
      throw new IllegalArgumentException(
          where + ": tensor " + toState.get("enc" + (layers - 1) + ".weight") + " emits " + last[1] + " values, which is neither the "
              + dec0[0] + " that " + toState.get("dec0.weight") + " takes (Mult-DAE) nor twice that (Mult-VAE: mu, then log sigma^2)");
    }
    return new Architecture(type, items, hidden, latent);
  }

  private static int size(String where, long d, String tensor) {
    if (d < 1 || d > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(where + ": tensor " + tensor + " has a layer size of " + d);
    }
    return (int) d;
  }

  /** An {@code nn.Linear} weight {@code [out, in]} as the bundle's {@code [in, out]}. */
  private static Tensor transposed(Tensor t) {
    int out = (int) t.shape()[0];
    int in = (int) t.shape()[1];
    return new Tensor(new long[] {in, out}, BlockWeights.transpose(t.data(), out, in));
  }

  private static long[] torchLayout(long[] bundleShape, boolean weight) {
    return weight ? new long[] {bundleShape[1], bundleShape[0]} : bundleShape;
  }

  /** The metrics of a split's validation and test users. */
  public record Evaluation(Metrics validation, Metrics test) {}

  /**
   * The imported model's metrics on a split's held-out users, measured as the trainer measures
   * them, with the scorer the job serves with: to compare with what the PyTorch run reported.
   */
  public static Evaluation evaluate(ModelBundle bundle, SplitData split, int batchSize) {
    try (Scorer scorer = Scorer.open(bundle, Device.cpu())) {
      Evaluator.ScoreFunction model = users -> scorer.forward(SparseBatch.of(users));
      return new Evaluation(
          Evaluator.evaluate(split.valTr(), split.valTe(), model, batchSize), Evaluator.evaluate(split.testTr(), split.testTe(), model, batchSize));
    }
  }
}
