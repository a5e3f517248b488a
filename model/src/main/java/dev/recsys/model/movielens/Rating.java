package dev.recsys.model.movielens;

/** One MovieLens rating. The timestamp is in seconds, as MovieLens publishes it. */
public record Rating(long userId, long movieId, float rating, long timestampSeconds) {}
