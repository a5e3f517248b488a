package dev.recsys.model.scoring;

/** A recommended movie and its score (a logit, or a popularity count for fallbacks). */
public record ScoredItem(long movieId, float score) {}
