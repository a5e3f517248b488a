package dev.recsys.job;

/**
 * A validated rating inside the job.
 *
 * @param timestamp when the user rated (the event's own time), epoch ms
 * @param publishedAt the Kafka record timestamp, epoch ms: latency is measured from here
 */
public record Rating(long userId, long movieId, float rating, long timestamp, long publishedAt) {}
