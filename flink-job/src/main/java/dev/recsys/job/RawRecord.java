package dev.recsys.job;

/**
 * A Kafka record as it arrived, before parsing: kept whole so a bad one can go to the dead-letter
 * topic with its partition and offset.
 */
public class RawRecord {
  public String topic;
  public int partition;
  public long offset;
  /** The Kafka record timestamp (producer create time), epoch ms. */
  public long timestamp;
  public byte[] value;

  public RawRecord() {}

  public RawRecord(String topic, int partition, long offset, long timestamp, byte[] value) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.value = value;
  }
}
