package dev.recsys.trainer.pytorch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.Python;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.Digests;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.bundle.SafetensorsFile;
import dev.recsys.model.nn.SparseBatch;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import dev.recsys.trainer.TestData;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code model import}: a state dict as PyTorch code of the paper saves it serves as PyTorch
 * computes it, and a state dict that does not fit is refused naming the tensor.
 */
class StateDictImportTest {

  private static final int ITEMS = 40;
  private static final long[] MOVIES = LongStream.range(0, ITEMS).map(i -> 100 + 3 * i).toArray();
  private static final List<int[]> USERS = List.of(new int[] {0, 5, 9}, new int[] {39}, new int[] {1, 2, 3, 4, 10, 20, 30});

  @TempDir Path tmp;

  private Path itemsFile() throws Exception {
    Path f = tmp.resolve("unique_sid.txt");
    Files.write(f, Arrays.stream(MOVIES).mapToObj(Long::toString).toList());
    return f;
  }

  /** Writes a PyTorch-style state dict with Python and returns its forward pass's logits for USERS. */
  private double[][] pythonStateDict(Path out, String kind, String hidden, int latent, long seed) throws Exception {
    Python.assumeAvailable();
    String users = USERS.stream().map(Arrays::toString).collect(Collectors.joining(",", "[", "]"));
    String json = Python.run(StateDictImportTest.class, "torch_style_state_dict.py", tmp,
        out.toString(), kind, Integer.toString(ITEMS), hidden, Integer.toString(latent), Long.toString(seed), users);
    JsonNode logits = new ObjectMapper().readTree(json).get("logits");
    double[][] out2 = new double[logits.size()][];
    for (int u = 0; u < out2.length; u++) {
      out2[u] = new double[logits.get(u).size()];
      for (int i = 0; i < out2[u].length; i++) {
        out2[u][i] = logits.get(u).get(i).asDouble();
      }
    }
    return out2;
  }

  private static String run(String... args) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream old = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, new CommandLine(new ModelCommand()).execute(args));
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /** The imported bundle's logits equal PyTorch's, and its top items are PyTorch's best, as movieIds. */
  private static void assertServesAsPyTorch(ModelBundle bundle, double[][] expected) {
    try (Scorer s = Scorer.open(bundle, Device.cpu())) {
      float[] logits = s.forward(SparseBatch.of(USERS));
      for (int u = 0; u < USERS.size(); u++) {
        for (int i = 0; i < ITEMS; i++) {
          assertEquals(expected[u][i], logits[u * ITEMS + i], 1e-4 * Math.max(1, Math.abs(expected[u][i])), "user " + u + " item " + i);
        }
        int user = u;
        long[] positives = Arrays.stream(USERS.get(u)).mapToLong(i -> MOVIES[i]).toArray();
        Recommendations r = s.score(new UserQuery(positives, new long[0]), 5);
        List<Long> best = IntStream.range(0, ITEMS).boxed()
            .filter(i -> Arrays.stream(USERS.get(user)).noneMatch(p -> p == i))
            .sorted(Comparator.comparingDouble((Integer i) -> -expected[user][i]))
            .limit(5).map(i -> MOVIES[i]).toList();
        assertEquals(best, r.items().stream().map(x -> x.movieId()).toList(), "user " + u);
      }
    }
  }

  @Test
  void aPyTorchMultVaeServesAsPyTorchComputesIt() throws Exception {
    Path state = tmp.resolve("vae.safetensors");
    double[][] expected = pythonStateDict(state, "vae", "10", 4, 7);
    Path out = tmp.resolve("bundle");
    Path registry = tmp.resolve("registry");
    String printed = run("import", state.toString(), "--items", itemsFile().toString(), "--out", out.toString(),
        "--publish", "--registry", registry.toString(), "--name", "ml");
    assertThat(printed).contains("imported vae [40, 10, 4] -> [4, 10, 40] (default names: q_layers.k -> enck, p_layers.k -> deck)")
        .contains("published ml v1");

    ModelBundle bundle = ModelBundle.load(out);
    assertEquals(new Architecture(ModelType.VAE, ITEMS, new int[] {10}, 4), bundle.architecture());
    assertArrayEquals(MOVIES, bundle.vocabulary().movieIds());
    assertServesAsPyTorch(bundle, expected);
    // published as the job will load it
    ModelRegistry.Version v = new ModelRegistry(registry).current("ml").orElseThrow();
    assertEquals(bundle.sha256(), v.sha256());
    assertServesAsPyTorch(new ModelRegistry(registry).accept("ml", 1, v.dir().toUri().toString(), v.sha256()).bundle(), expected);
  }

  @Test
  void aPyTorchMultDaeServesAsPyTorchComputesIt() throws Exception {
    // layers.0..3: the first two encode (40 -> 8 -> 5), the last two decode
    Path state = tmp.resolve("dae.safetensors");
    double[][] expected = pythonStateDict(state, "dae", "8", 5, 8);
    Path out = tmp.resolve("bundle");
    String printed = run("import", state.toString(), "--items", itemsFile().toString(), "--out", out.toString(), "--model", "dae");
    assertThat(printed).contains("imported dae [40, 8, 5] -> [5, 8, 40]").contains("no --split");
    ModelBundle bundle = ModelBundle.load(out);
    assertServesAsPyTorch(bundle, expected);
    assertEquals(bundle.sha256(), new ModelRegistry(tmp.resolve("registry")).publish("ml", out).sha256(), "model publish accepts it");
  }

  /** A state dict in PyTorch's names and layout, from bundle-layout weights. */
  private static Map<String, Tensor> torchStyle(Map<String, Tensor> bundleWeights) {
    Map<String, Tensor> out = new LinkedHashMap<>();
    bundleWeights.forEach((name, t) -> {
      String layer = (name.startsWith("enc") ? "q_layers." : "p_layers.") + name.substring(3);
      if (t.shape().length == 2) {
        int in = (int) t.shape()[0];
        int o = (int) t.shape()[1];
        float[] w = new float[t.data().length];
        for (int i = 0; i < in; i++) {
          for (int j = 0; j < o; j++) {
            w[j * in + i] = t.data()[i * o + j];
          }
        }
        out.put(layer, new Tensor(new long[] {o, in}, w));
      } else {
        out.put(layer, t);
      }
    });
    return out;
  }

  private static final Architecture VAE = new Architecture(ModelType.VAE, ITEMS, new int[] {10}, 4);

  private Path stateDict(String name, Map<String, Tensor> tensors) throws Exception {
    Path f = tmp.resolve(name + ".safetensors");
    SafetensorsFile.write(f, tensors);
    return f;
  }

  private IllegalArgumentException refused(Path state, LayerMapping mapping, ModelType type) throws Exception {
    Path out = tmp.resolve("refused-" + System.nanoTime());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        StateDictImport.run(new StateDictImport.Options(state, mapping, type, MOVIES, itemsFile(), null, out)));
    assertFalse(Files.exists(out), "no bundle is left behind");
    return e;
  }

  @Test
  void aTensorOfTheWrongShapeIsRefusedByName() throws Exception {
    Map<String, Tensor> w = torchStyle(RandomBundle.weights(VAE, 1));
    w.put("p_layers.1.weight", new Tensor(new long[] {ITEMS, 9}, new float[ITEMS * 9]));
    assertThat(refused(stateDict("wrong", w), null, null).getMessage()).isEqualTo(
        "state dict " + tmp.resolve("wrong.safetensors") + ": tensor p_layers.1.weight has shape [40, 9], but dec1.weight of vae [40, 10, 4]"
            + " -> [4, 10, 40] (the architecture the first layers and the decoder's input make) needs [40, 10] ([out, in])");

    w = torchStyle(RandomBundle.weights(VAE, 1));
    w.put("q_layers.1.weight", new Tensor(new long[] {7, 10}, new float[70])); // neither 2 x 4 nor 4 outputs
    assertThat(refused(stateDict("bottleneck", w), null, null).getMessage())
        .endsWith(": tensor q_layers.1.weight emits 7 values, which is neither the 4 that p_layers.0.weight takes (Mult-DAE) nor twice that (Mult-VAE: mu, then log sigma^2)");

    w = torchStyle(RandomBundle.weights(VAE, 1));
    w.put("q_layers.0.bias", new Tensor(new long[] {1, 10}, new float[10]));
    assertThat(refused(stateDict("rank", w), null, null).getMessage())
        .endsWith(": tensor q_layers.0.bias has shape [1, 10], but enc0.bias is a linear layer's bias, [out]");
  }

  @Test
  void aMissingOrUnknownTensorIsRefusedByName() throws Exception {
    Map<String, Tensor> w = torchStyle(RandomBundle.weights(VAE, 2));
    w.remove("q_layers.1.bias");
    assertThat(refused(stateDict("missing", w), null, null).getMessage()).isEqualTo(
        "state dict " + tmp.resolve("missing.safetensors") + " has no tensor q_layers.1.bias (bundle parameter enc1.bias,"
            + " default names: q_layers.k -> enck, p_layers.k -> deck)");

    w = torchStyle(RandomBundle.weights(VAE, 2));
    w.remove("p_layers.0.weight");
    w.remove("p_layers.0.bias");
    w.remove("p_layers.1.weight");
    w.remove("p_layers.1.bias");
    assertThat(refused(stateDict("nodecoder", w), null, null).getMessage()).endsWith(" has no tensor p_layers.0.weight"
        + " (bundle parameter dec0.weight, default names: q_layers.k -> enck, p_layers.k -> deck)");

    w = torchStyle(RandomBundle.weights(VAE, 2));
    w.put("p_layers.2.weight", new Tensor(new long[] {ITEMS, ITEMS}, new float[ITEMS * ITEMS]));
    assertThat(refused(stateDict("extra-layer", w), null, null).getMessage())
        .endsWith(" has no tensor p_layers.2.bias (bundle parameter dec2.bias, default names: q_layers.k -> enck, p_layers.k -> deck)");

    w = torchStyle(RandomBundle.weights(VAE, 2));
    w.put("item_bias", new Tensor(new long[] {ITEMS}, new float[ITEMS]));
    assertThat(refused(stateDict("unknown", w), null, null).getMessage()).endsWith(
        ": tensor item_bias is not in the mapping (default names: q_layers.k -> enck, p_layers.k -> deck); a Mult-VAE or"
            + " Mult-DAE has only its linear layers' weights and biases");

    Map<String, Tensor> other = Map.of("encoder.weight", new Tensor(new long[] {2, 2}, new float[4]));
    assertThat(refused(stateDict("foreign", other), null, null).getMessage())
        .contains("has neither q_layers/p_layers (Mult-VAE) nor layers (Mult-DAE) tensors, the default names: give --mapping FILE (its tensors: [encoder.weight])");
  }

  @Test
  void whatTheShapesSayMustMatchTheModelTypeTheItemsAndFiniteValues() throws Exception {
    // the shapes, not the names, tell a DAE from a VAE
    Architecture dae = new Architecture(ModelType.DAE, ITEMS, new int[] {6}, 3);
    Path daeState = stateDict("dae-in-vae-names", torchStyle(RandomBundle.weights(dae, 3)));
    assertEquals(dae, StateDictImport.convert(daeState, SafetensorsFile.read(daeState),
        LayerMapping.defaultFor(daeState, SafetensorsFile.read(daeState).keySet()), null).architecture());

    Path state = stateDict("vae", torchStyle(RandomBundle.weights(VAE, 3)));
    assertThat(refused(state, null, ModelType.DAE).getMessage())
        .endsWith(": --model dae, but its shapes are those of a Mult-VAE: vae [40, 10, 4] -> [4, 10, 40]");

    Path out = tmp.resolve("few-items");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDictImport.run(
        new StateDictImport.Options(state, null, null, Arrays.copyOf(MOVIES, 39), tmp.resolve("short.txt"), null, out)));
    assertThat(e.getMessage()).isEqualTo(tmp.resolve("short.txt") + " lists 39 movieIds, but the state dict's first layer (q_layers.0.weight) takes 40 items");

    Map<String, Tensor> w = torchStyle(RandomBundle.weights(VAE, 3));
    float[] data = w.get("p_layers.0.weight").data().clone();
    data[13] = Float.NaN;
    w.put("p_layers.0.weight", new Tensor(w.get("p_layers.0.weight").shape(), data));
    assertThat(refused(stateDict("nan", w), null, null).getMessage()).endsWith(": tensor p_layers.0.weight holds a non-finite value (NaN) at index 13");

    // bfloat16 weights, as a mixed-precision run might save them
    Path bf16 = tmp.resolve("bf16.safetensors");
    String header = "{\"q_layers.0.weight\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    Files.write(bf16, java.nio.ByteBuffer.allocate(8 + h.length + 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
    assertThat(refused(bf16, null, null).getMessage()).isEqualTo("state dict " + bf16
        + ": tensor q_layers.0.weight has dtype BF16, but only F32 is accepted (in PyTorch, save model.float().state_dict())");
  }

  @Test
  void aMappingFileNamesTheTensorsOfOtherCode() throws Exception {
    Map<String, Tensor> bundleWeights = RandomBundle.weights(VAE, 4);
    Map<String, Tensor> renamed = new LinkedHashMap<>();
    torchStyle(bundleWeights).forEach((k, t) -> renamed.put(k.replace("q_layers.", "encoder.").replace("p_layers.", "decoder."), t));
    Path state = stateDict("renamed", renamed);
    Path mapping = tmp.resolve("mapping.txt");
    List<String> lines = new ArrayList<>(List.of("# bundle parameter = state dict tensor", ""));
    for (String p : bundleWeights.keySet()) {
      lines.add(p + " = " + (p.startsWith("enc") ? "encoder." : "decoder.") + p.substring(3) + "   # nn.Linear");
    }
    Files.write(mapping, lines);
    Path out = tmp.resolve("bundle");
    String printed = run("import", state.toString(), "--items", itemsFile().toString(), "--mapping", mapping.toString(), "--out", out.toString());
    assertThat(printed).contains("imported vae [40, 10, 4] -> [4, 10, 40] (mapping file " + mapping + ")");
    ModelBundle bundle = ModelBundle.load(out);
    for (Map.Entry<String, Tensor> e : bundleWeights.entrySet()) {
      assertArrayEquals(e.getValue().shape(), bundle.weights().get(e.getKey()).shape(), e.getKey());
      assertArrayEquals(e.getValue().data(), bundle.weights().get(e.getKey()).data(), 0f, e.getKey());
    }

    Files.writeString(mapping, "enc0.weight = encoder.0.weight\nenc0.weight = encoder.1.weight\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerMapping.read(mapping));
    assertEquals(mapping + " line 2: enc0.weight is mapped twice", e.getMessage());
    Files.writeString(mapping, "enc0.weight = a\nenc0.bias = b\ndec0.weight = c\ndec0.bias = d\ndec2.weight = e\ndec2.bias = f\n");
    e = assertThrows(IllegalArgumentException.class, () -> LayerMapping.read(mapping));
    assertEquals("mapping (mapping file " + mapping + ") has no dec1.weight: the layers must be dec0 to dec1, each with weight and bias", e.getMessage());
    Files.writeString(mapping, "encoder0.weight = a\n");
    e = assertThrows(IllegalArgumentException.class, () -> LayerMapping.read(mapping));
    assertThat(e.getMessage()).startsWith(mapping + " line 1: 'encoder0.weight' is not a bundle parameter");
  }

  @Test
  void withTheSplitTheBundleGetsItsPopularityFallbackAndIsEvaluated() throws Exception {
    SplitData split = TestData.split(tmp.resolve("raw"), 300, 80, 40, 5);
    SplitIO.write(tmp.resolve("split"), split);
    Architecture arch = new Architecture(ModelType.VAE, split.numItems(), new int[] {12}, 4);
    Path state = stateDict("vae", torchStyle(RandomBundle.weights(arch, 6)));
    Path out = tmp.resolve("bundle");
    String printed = run("import", state.toString(), "--split", tmp.resolve("split").toString(), "--out", out.toString());
    assertThat(printed).containsPattern("validation NDCG@100 0\\.[0-9]{4} \\(40 users\\); test NDCG@100 0\\.[0-9]{4} .*\\(40 users\\)");

    ModelBundle bundle = ModelBundle.load(out);
    assertArrayEquals(split.movieIds(), bundle.vocabulary().movieIds());
    assertEquals(split.fingerprint(), bundle.manifest().dataFingerprint());
    assertEquals(split.popularity(1000), bundle.manifest().popularity());
    assertEquals(Digests.sha256(state), bundle.manifest().hyperParameters().get("stateDictSha256"));
    try (Scorer s = Scorer.open(bundle, Device.cpu())) {
      Recommendations r = s.score(UserQuery.ofItems(-1), 3); // no item the model knows
      assertThat(r.fallback()).isTrue();
      assertEquals(split.popularity(3).stream().map(p -> p.movieId()).toList(), r.items().stream().map(x -> x.movieId()).toList());
    }
  }
}
