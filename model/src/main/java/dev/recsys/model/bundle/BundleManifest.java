package dev.recsys.model.bundle;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json}: everything needed to rebuild, verify and explain a bundle.
 *
 * @param formatVersion the bundle format version ({@link #FORMAT_VERSION})
 * @param modelType {@code vae} or {@code dae}
 * @param numItems the vocabulary size I
 * @param hidden hidden layer sizes between input and latent
 * @param latent the bottleneck size
 * @param hyperParameters training settings, for the record
 * @param dataFingerprint a digest of the training split, to tell which data produced the weights
 * @param metrics evaluation metrics (for example {@code test.ndcg@100})
 * @param popularity the most popular items of the training data, most popular first; the scorer's
 *     fallback for users with no known items
 * @param createdAt ISO-8601 instant
 * @param files SHA-256 (hex) of every other file in the bundle
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record BundleManifest(
    int formatVersion,
    String modelType,
    int numItems,
    int[] hidden,
    int latent,
    Map<String, Object> hyperParameters,
    String dataFingerprint,
    Map<String, Double> metrics,
    List<PopularItem> popularity,
    String createdAt,
    Map<String, String> files) {

  /** 2: weights in safetensors. Version 1 kept them in a format of this project's own. */
  public static final int FORMAT_VERSION = 2;

  /** An item and how many training users interacted with it. */
  public record PopularItem(long movieId, long count) {}

  public Architecture architecture() {
    return new Architecture(ModelType.parse(modelType), numItems, hidden, latent);
  }

  public BundleManifest withFiles(Map<String, String> newFiles) {
    return new BundleManifest(
        formatVersion, modelType, numItems, hidden, latent, hyperParameters, dataFingerprint,
        metrics, popularity, createdAt, newFiles);
  }
}
