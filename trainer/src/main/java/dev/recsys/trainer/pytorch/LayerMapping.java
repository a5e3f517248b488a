package dev.recsys.trainer.pytorch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which tensor of a PyTorch state dict is which bundle parameter ({@code enc<k>.weight}, {@code
 * enc<k>.bias}, {@code dec<k>.weight}, {@code dec<k>.bias}: {@link
 * dev.recsys.model.Architecture#parameterShapes}). Every mapped weight is an {@code nn.Linear}
 * weight, {@code [out, in]}, and is transposed into the bundle's {@code [in, out]}.
 *
 * <p>The defaults follow the PyTorch ports of the paper's reference code: a Mult-VAE with {@code
 * q_layers} (encoder, the last layer emitting μ then log σ²) and {@code p_layers} (decoder) {@code
 * nn.ModuleList}s, and a Mult-DAE with one {@code layers} list, whose first half encodes and second
 * half decodes. A mapping file ({@code --mapping}) names the tensors of any other code, one
 * {@code bundle_parameter = state_dict_tensor} per line.
 */
public record LayerMapping(String description, Map<String, String> bundleToState) {

  private static final Pattern PARAMETER = Pattern.compile("(enc|dec)(0|[1-9][0-9]{0,3})\\.(weight|bias)");
  private static final Pattern VAE_LAYER = Pattern.compile("([qp])_layers\\.(0|[1-9][0-9]{0,3})\\.(weight|bias)");
  private static final Pattern DAE_LAYER = Pattern.compile("layers\\.(0|[1-9][0-9]{0,3})\\.(weight|bias)");

  /**
   * @param description where the mapping comes from, for messages and the manifest
   * @param bundleToState bundle parameter to state dict tensor; every layer {@code 0..n-1} of the
   *     encoder and of the decoder has its weight and its bias
   */
  public LayerMapping {
    bundleToState = sortedByParameter(bundleToState);
    for (String part : List.of("enc", "dec")) {
      int layers = count(bundleToState, part);
      if (layers == 0) {
        throw new IllegalArgumentException("mapping (" + description + ") maps no " + (part.equals("enc") ? "encoder" : "decoder") + " layer (" + part + "0.weight)");
      }
      for (int k = 0; k < layers; k++) {
        for (String kind : List.of(".weight", ".bias")) {
          if (!bundleToState.containsKey(part + k + kind)) {
            throw new IllegalArgumentException(
                "mapping (" + description + ") has no " + part + k + kind + ": the layers must be " + part + "0 to " + part + (layers - 1)
                    + ", each with weight and bias");
          }
        }
      }
    }
    bundleToState = Collections.unmodifiableMap(bundleToState);
  }

  /** How many layers the mapping gives the encoder ({@code enc}) or the decoder ({@code dec}). */
  public int layers(String part) {
    return count(bundleToState, part);
  }

  private static int count(Map<String, String> bundleToState, String part) {
    return (int) bundleToState.keySet().stream().filter(p -> p.startsWith(part) && p.endsWith(".weight")).count();
  }

  /**
   * The default mapping for a state dict with these tensor names: {@code q_layers.k.* -> enck.*}
   * and {@code p_layers.k.* -> deck.*}; or, for {@code layers.0} to {@code layers.L-1}, {@code
   * layers.k.* -> enck.*} for k &lt; L/2 and {@code layers.k.* -> dec(k-L/2).*} after. Every
   * layer up to the highest index present is mapped, so that a missing tensor is reported by name.
   *
   * @throws IllegalArgumentException naming the state dict file when its names fit neither
   */
  public static LayerMapping defaultFor(Path stateDict, Set<String> names) {
    Map<String, String> map = new HashMap<>();
    int[] top = {-1, -1, -1}; // highest index of q_layers, p_layers, layers
    for (String n : names) {
      Matcher vae = VAE_LAYER.matcher(n);
      Matcher dae = DAE_LAYER.matcher(n);
      if (vae.matches()) {
        int part = vae.group(1).equals("q") ? 0 : 1;
        top[part] = Math.max(top[part], Integer.parseInt(vae.group(2)));
      } else if (dae.matches()) {
        top[2] = Math.max(top[2], Integer.parseInt(dae.group(1)));
      }
    }
    if (top[0] >= 0 || top[1] >= 0) {
      for (int part = 0; part < 2; part++) {
        for (int k = 0; k <= Math.max(top[part], 0); k++) {
          String layer = (part == 0 ? "q" : "p") + "_layers." + k;
          map.put((part == 0 ? "enc" : "dec") + k + ".weight", layer + ".weight");
          map.put((part == 0 ? "enc" : "dec") + k + ".bias", layer + ".bias");
        }
      }
      return new LayerMapping("default names: q_layers.k -> enck, p_layers.k -> deck", map);
    }
    int count = top[2] + 1;
    if (count == 0) {
      throw new IllegalArgumentException(
          "state dict " + stateDict + " has neither q_layers/p_layers (Mult-VAE) nor layers (Mult-DAE) tensors, the default"
              + " names: give --mapping FILE (its tensors: " + new TreeSet<>(names) + ")");
    }
    if (count % 2 != 0) {
      throw new IllegalArgumentException(
          "state dict " + stateDict + " has " + count + " layers (layers.0 to layers." + (count - 1) + "): a Mult-DAE's decoder mirrors its"
              + " encoder, so the layers must be even in number");
    }
    for (int k = 0; k < count; k++) {
      String parameter = k < count / 2 ? "enc" + k : "dec" + (k - count / 2);
      map.put(parameter + ".weight", "layers." + k + ".weight");
      map.put(parameter + ".bias", "layers." + k + ".bias");
    }
    return new LayerMapping("default names: layers.k -> enck for k < " + count / 2 + ", then dec(k-" + count / 2 + ")", map);
  }

  /**
   * Reads a mapping file: {@code bundle_parameter = state_dict_tensor} per line, {@code #} starts
   * a comment. Every bundle parameter and every tensor may appear once.
   *
   * @throws IllegalArgumentException naming the file and line
   */
  public static LayerMapping read(Path file) throws IOException {
    Map<String, String> map = new LinkedHashMap<>();
    Map<String, Integer> stateLine = new HashMap<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int hash = line.indexOf('#');
      line = (hash < 0 ? line : line.substring(0, hash)).strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = file + " line " + (i + 1) + ": ";
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(where + "expected bundle_parameter = state_dict_tensor, got '" + line + "'");
      }
      String parameter = line.substring(0, eq).strip();
      String tensor = line.substring(eq + 1).strip();
      if (!PARAMETER.matcher(parameter).matches()) {
        throw new IllegalArgumentException(where + "'" + parameter + "' is not a bundle parameter (enc<k>.weight, enc<k>.bias, dec<k>.weight or dec<k>.bias)");
      }
      if (tensor.isEmpty()) {
        throw new IllegalArgumentException(where + "no state dict tensor for " + parameter);
      }
      if (map.containsKey(parameter)) {
        throw new IllegalArgumentException(where + parameter + " is mapped twice");
      }
      Integer other = stateLine.putIfAbsent(tensor, i + 1);
      if (other != null) {
        throw new IllegalArgumentException(where + "tensor " + tensor + " is mapped already, on line " + other);
      }
      map.put(parameter, tensor);
    }
    if (map.isEmpty()) {
      throw new IllegalArgumentException(file + ": maps no parameter");
    }
    return new LayerMapping("mapping file " + file, map);
  }

  /** Bundle parameters in {@code parameterShapes()} order: encoder layers, then decoder layers. */
  private static Map<String, String> sortedByParameter(Map<String, String> map) {
    Map<String, String> sorted = new TreeMap<>();
    map.forEach((p, t) -> {
      Matcher m = PARAMETER.matcher(p);
      if (!m.matches()) {
        throw new IllegalArgumentException("'" + p + "' is not a bundle parameter (enc<k>.weight, enc<k>.bias, dec<k>.weight or dec<k>.bias)");
      }
      sorted.put(key(m.group(1), Integer.parseInt(m.group(2)), m.group(3)), t);
    });
    Map<String, String> out = new LinkedHashMap<>();
    sorted.forEach((k, t) -> out.put(parameter(k), t));
    return out;
  }

  /** A sort key: "enc" sorts before "dec" as "0" before "1", then the layer, then weight before bias. */
  private static String key(String part, int layer, String kind) {
    return (part.equals("enc") ? "0" : "1") + String.format("%05d", layer) + (kind.equals("weight") ? "0" : "1");
  }

  private static String parameter(String key) {
    return (key.charAt(0) == '0' ? "enc" : "dec") + Integer.parseInt(key.substring(1, 6)) + (key.charAt(6) == '0' ? ".weight" : ".bias");
  }
}
