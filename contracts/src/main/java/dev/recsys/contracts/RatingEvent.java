package dev.recsys.contracts;

/** A user rated a movie; {@code schemas/rating-event.schema.json}. Timestamp in epoch ms. */
public record RatingEvent(long userId, long movieId, double rating, long timestamp) {}
