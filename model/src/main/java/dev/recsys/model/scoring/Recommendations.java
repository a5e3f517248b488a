package dev.recsys.model.scoring;

import java.util.List;

/**
 * The top-K for one user, best first.
 *
 * @param items the recommended items
 * @param fallback true when the user had no positive the model knows, so the items are the
 *     bundle's popularity ranking
 */
public record Recommendations(List<ScoredItem> items, boolean fallback) {}
