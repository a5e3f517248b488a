package dev.recsys.contracts;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * JSON encoding of one contract type, validated against its JSON Schema on decode. Serializable so
 * that Flink functions can carry one; the schema is loaded lazily on each JVM.
 */
public final class JsonCodec<T> implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final JsonCodec<RatingEvent> RATING = new JsonCodec<>(RatingEvent.class, "rating-event");
  public static final JsonCodec<RecommendationEvent> RECOMMENDATION =
      new JsonCodec<>(RecommendationEvent.class, "recommendation-event");
  public static final JsonCodec<ModelUpdateEvent> MODEL_UPDATE =
      new JsonCodec<>(ModelUpdateEvent.class, "model-update-event");
  public static final JsonCodec<ModelMetricsEvent> MODEL_METRICS =
      new JsonCodec<>(ModelMetricsEvent.class, "model-metrics-event");
  public static final JsonCodec<DeadLetterEvent> DEAD_LETTER =
      new JsonCodec<>(DeadLetterEvent.class, "dead-letter-event");

  // Schubfach/fast-double: formatting 100 scores per recommendation is the codec's hot spot
  private static final ObjectMapper MAPPER =
      new ObjectMapper(JsonFactory.builder()
              .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
              .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
              .build())
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Class<T> type;
  private final String schemaName;
  private transient volatile JsonSchema schema;

  private JsonCodec(Class<T> type, String schemaName) {
    this.type = type;
    this.schemaName = schemaName;
  }

  public Class<T> type() {
    return type;
  }

  /** The schema's classpath resource, {@code schemas/<name>.schema.json}. */
  public String schemaResource() {
    return "schemas/" + schemaName + ".schema.json";
  }

  public byte[] encode(T value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot encode " + value, e);
    }
  }

  /**
   * Parses and validates a message.
   *
   * @throws InvalidMessageException with a reason fit for a dead-letter record
   */
  public T decode(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new InvalidMessageException("empty message");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(bytes);
    } catch (IOException e) {
      String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw new InvalidMessageException("not JSON: " + why);
    }
    Set<ValidationMessage> errors = schema().validate(node);
    if (!errors.isEmpty()) {
      throw new InvalidMessageException(
          "violates " + schemaName + " schema: "
              + errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.joining("; ")));
    }
    try {
      return MAPPER.treeToValue(node, type);
    } catch (JsonProcessingException e) {
      throw new InvalidMessageException("cannot map to " + type.getSimpleName() + ": " + e.getOriginalMessage());
    }
  }

  private JsonSchema schema() {
    JsonSchema s = schema;
    if (s == null) {
      try (InputStream in = JsonCodec.class.getClassLoader().getResourceAsStream(schemaResource())) {
        if (in == null) {
          throw new IllegalStateException("schema not on the classpath: " + schemaResource());
        }
        s = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      schema = s;
    }
    return s;
  }

  /** Keeps the constants singletons across Java serialization. */
  private Object readResolve() {
    for (JsonCodec<?> c : new JsonCodec<?>[] {RATING, RECOMMENDATION, MODEL_UPDATE, MODEL_METRICS, DEAD_LETTER}) {
      if (c.schemaName.equals(schemaName)) {
        return c;
      }
    }
    return this;
  }
}
