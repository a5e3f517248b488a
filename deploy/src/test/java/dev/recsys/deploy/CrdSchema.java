package dev.recsys.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.Yaml;

/**
 * A CustomResourceDefinition's {@code openAPIV3Schema} as a JSON Schema (draft 7), validating a
 * custom resource the way the API server would before the operator sees it.
 *
 * <p>openAPIV3Schema is a subset of OpenAPI 3.0's schema object plus Kubernetes extensions; the
 * translation keeps its meaning:
 *
 * <ul>
 *   <li>An object schema with {@code properties} and without {@code additionalProperties} is
 *       closed: the API server prunes unknown fields (or, with strict field validation, refuses
 *       them), so a misspelt field would silently never reach the operator. Here it is an error.
 *   <li>{@code x-kubernetes-preserve-unknown-fields: true} keeps such an object open (and without
 *       a type, any value is accepted), as the API server does.
 *   <li>{@code x-kubernetes-int-or-string: true} and {@code format: int-or-string}: an integer or
 *       a string. Other formats are annotations only and are dropped, as are the remaining
 *       {@code x-kubernetes-*} keywords (list and map types, embedded resources), which constrain
 *       merging, not validity.
 *   <li>{@code nullable: true} admits null.
 *   <li>The root also admits {@code apiVersion}, {@code kind} and {@code metadata}, which every
 *       object has and which the CRD's schema leaves implicit.
 * </ul>
 */
final class CrdSchema {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String apiVersion;
  private final String kind;
  private final JsonSchema schema;

  private CrdSchema(String apiVersion, String kind, Map<String, Object> jsonSchema) {
    this.apiVersion = apiVersion;
    this.kind = kind;
    this.schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(JSON.valueToTree(jsonSchema));
  }

  /** The schema of {@code version} in the CRD file. */
  @SuppressWarnings("unchecked")
  static CrdSchema load(Path crdFile, String version) throws IOException {
    Map<String, Object> crd = new Yaml().load(Files.readString(crdFile));
    Map<String, Object> spec = (Map<String, Object>) crd.get("spec");
    String group = (String) spec.get("group");
    String kind = (String) ((Map<String, Object>) spec.get("names")).get("kind");
    for (Map<String, Object> v : (List<Map<String, Object>>) spec.get("versions")) {
      if (version.equals(v.get("name"))) {
        Map<String, Object> openApi = (Map<String, Object>) ((Map<String, Object>) v.get("schema")).get("openAPIV3Schema");
        Map<String, Object> root = translate(openApi);
        Map<String, Object> props = (Map<String, Object>) root.computeIfAbsent("properties", k -> new LinkedHashMap<>());
        props.put("apiVersion", Map.of("const", group + "/" + version));
        props.put("kind", Map.of("const", kind));
        props.put("metadata", Map.of("type", "object", "required", List.of("name"), "properties", Map.of(
            "name", Map.of("type", "string"),
            "labels", Map.of("type", "object", "additionalProperties", Map.of("type", "string")),
            "annotations", Map.of("type", "object", "additionalProperties", Map.of("type", "string")))));
        root.put("required", List.of("apiVersion", "kind", "metadata", "spec"));
        root.put("additionalProperties", false);
        return new CrdSchema(group + "/" + version, kind, root);
      }
    }
    throw new IllegalArgumentException("no version " + version + " in " + crdFile);
  }

  String apiVersion() {
    return apiVersion;
  }

  String kind() {
    return kind;
  }

  /** What the API server would refuse or drop in this resource, one line each; empty when valid. */
  List<String> violations(Map<String, Object> resource) {
    List<String> out = new ArrayList<>();
    for (ValidationMessage m : schema.validate(JSON.valueToTree(resource))) {
      out.add(m.getMessage());
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> translate(Map<String, Object> node) {
    Map<String, Object> out = new LinkedHashMap<>();
    boolean preserveUnknown = Boolean.TRUE.equals(node.get("x-kubernetes-preserve-unknown-fields"));
    boolean intOrString = Boolean.TRUE.equals(node.get("x-kubernetes-int-or-string")) || "int-or-string".equals(node.get("format"));
    for (Map.Entry<String, Object> e : node.entrySet()) {
      String k = e.getKey();
      Object v = e.getValue();
      if (k.startsWith("x-kubernetes-") || k.equals("format") || k.equals("nullable")) {
        continue;
      }
      switch (k) {
        case "properties" -> {
          Map<String, Object> props = new LinkedHashMap<>();
          ((Map<String, Object>) v).forEach((name, s) -> props.put(name, translate((Map<String, Object>) s)));
          out.put(k, props);
        }
        case "items", "not" -> out.put(k, translate((Map<String, Object>) v));
        case "additionalProperties" -> out.put(k, v instanceof Map<?, ?> m ? translate((Map<String, Object>) m) : v);
        case "anyOf", "allOf", "oneOf" -> out.put(k, ((List<Map<String, Object>>) v).stream().map(CrdSchema::translate).toList());
        default -> out.put(k, v);
      }
    }
    if (intOrString) {
      out.remove("type");
      out.putIfAbsent("anyOf", List.of(Map.of("type", "integer"), Map.of("type", "string")));
    }
    if (Boolean.TRUE.equals(node.get("nullable")) && out.get("type") instanceof String t) {
      out.put("type", List.of(t, "null"));
    }
    if (out.containsKey("properties") && !out.containsKey("additionalProperties") && !preserveUnknown) {
      out.put("additionalProperties", false);
    }
    return out;
  }
}
