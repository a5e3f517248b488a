package dev.recsys.job;

/**
 * A user waiting to be scored: a snapshot of their history after the latest rating, so the batch
 * can be scored outside that user's keyed context, on the scoring thread. A Flink POJO (it is
 * checkpointed).
 */
public class Pending {
  public long userId;
  public long[] positives;
  public long[] rated;
  /** The triggering rating's own time. */
  public long triggerTimestamp;
  /** The triggering record's Kafka timestamp. */
  public long triggerPublishedAt;
  public int triggerPartition;
  public long triggerOffset;
  /** When the trigger reached the scoring operator (wall clock). */
  public long arrivedAt;

  public Pending() {}

  Pending(long userId, UserHistory h, Rating trigger, long arrivedAt) {
    this.userId = userId;
    this.positives = h.positives();
    this.rated = h.rated();
    this.triggerTimestamp = trigger.timestamp();
    this.triggerPublishedAt = trigger.publishedAt();
    this.triggerPartition = trigger.partition();
    this.triggerOffset = trigger.offset();
    this.arrivedAt = arrivedAt;
  }
}
