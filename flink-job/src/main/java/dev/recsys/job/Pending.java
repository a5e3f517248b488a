package dev.recsys.job;

/**
 * A user waiting in the micro-batch: a snapshot of their history after the latest event, so the
 * batch can be scored outside that user's keyed context. A Flink POJO (it is checkpointed).
 */
public class Pending {
  public long userId;
  public long[] positives;
  public long[] rated;
  /** The triggering rating's own time. */
  public long triggerTimestamp;
  /** The triggering record's Kafka timestamp. */
  public long triggerPublishedAt;
  /** When the trigger reached this operator (wall clock), for the latency histogram. */
  public long arrivedAt;

  public Pending() {}

  Pending(long userId, UserHistory h, Rating trigger, long arrivedAt) {
    this.userId = userId;
    this.positives = h.positives();
    this.rated = h.rated();
    this.triggerTimestamp = trigger.timestamp();
    this.triggerPublishedAt = trigger.publishedAt();
    this.arrivedAt = arrivedAt;
  }
}
