package dev.recsys.contracts;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;

/**
 * A model version became current, or a shadow started or ended; {@code
 * schemas/model-update-event.schema.json}. Keyed by {@link #key()} on a compacted topic, so the
 * latest record per key is the current version, and the current shadow (or its end).
 *
 * @param publishedAt when the version became current (the announcement's time), epoch ms: of two
 *     announcements of one model, the later one wins, whatever order they arrive in
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelUpdateEvent(
    String name, int version, String uri, String sha256, String modelType, long publishedAt, String action) {

  /**
   * The announcement of a registry version directory: the one place where a version becomes a
   * message (its URI is the directory's {@code file:} URI).
   */
  public static ModelUpdateEvent of(String name, int version, Path dir, String sha256, String modelType, long publishedAt, String action) {
    return new ModelUpdateEvent(name, version, dir.toAbsolutePath().toUri().toString(), sha256, modelType, publishedAt, action);
  }

  public static final String SHADOW = "shadow";
  public static final String END_SHADOW = "end-shadow";

  /** Whether this starts or ends a shadow rather than changing the live version. */
  public boolean isShadow() {
    return SHADOW.equals(action) || END_SHADOW.equals(action);
  }

  /** The record key: the name for the live version, {@code <name>/shadow} for the shadow. */
  public String key() {
    return isShadow() ? name + "/shadow" : name;
  }

  /** Whether this announces the same bundle as {@code other} (name, version and digest). */
  public boolean sameBundle(ModelUpdateEvent other) {
    return other != null && name.equals(other.name) && version == other.version && sha256.equals(other.sha256);
  }
}
