package dev.recsys.job;

/**
 * A validated rating inside the job.
 *
 * @param timestamp when the user rated (the event's own time), epoch ms
 * @param publishedAt the Kafka record timestamp, epoch ms: latency is measured from here
 * @param partition the ratings partition it came from
 * @param offset its offset there: what a consumer of recommendations orders a user's lists by
 */
public record Rating(long userId, long movieId, float rating, long timestamp, long publishedAt, int partition, long offset) {}
