package dev.recsys.app.bench;

import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The load: positive ratings by many distinct users, each rating a movie that user has not rated
 * yet, so every event changes a history and asks for one scoring.
 */
final class RatingLoad implements AutoCloseable {

  /** When a phase's events were sent (Kafka timestamps), epoch ms, and how many. */
  record Window(long fromMs, long toMs, long sent) {
    double seconds() {
      return (toMs - fromMs) / 1000.0;
    }
  }

  private final KafkaProducer<byte[], byte[]> producer;
  private final int users;
  private final int items;
  private final int[] rated;
  private final SplittableRandom rnd = new SplittableRandom(3);
  private long sent;

  RatingLoad(String bootstrap, int users, int items) {
    Properties p = KafkaClients.idempotentProducer(bootstrap);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    this.users = users;
    this.items = items;
    this.rated = new int[users + 1];
  }

  long sent() {
    return sent;
  }

  /** Open loop: {@code rate} events per second for {@code seconds}, on schedule whatever the job does. */
  Window offer(double rate, double seconds) {
    long from = System.currentTimeMillis();
    long t0 = System.nanoTime();
    long n = (long) (rate * seconds);
    for (long i = 0; i < n; i++) {
      long wait = t0 + (long) (i * 1e9 / rate) - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      send();
    }
    producer.flush();
    return new Window(from, System.currentTimeMillis(), n);
  }

  /**
   * Closed loop, to find the job's saturated rate: as fast as it answers, with at most {@code
   * outstanding} events unanswered, so no backlog builds up in Kafka.
   */
  Window saturate(double seconds, LongSupplier answered, long outstanding) {
    long from = System.currentTimeMillis();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long base = sent - answered.getAsLong();
    long n = 0;
    while (System.nanoTime() < end) {
      if (sent - answered.getAsLong() - base < outstanding) {
        send();
        n++;
      } else {
        producer.flush();
        LockSupport.parkNanos(200_000);
      }
    }
    producer.flush();
    return new Window(from, System.currentTimeMillis(), n);
  }

  private void send() {
    int user = 1 + rnd.nextInt(users);
    long movie = 1 + (user * 7919L + rated[user]++) % items; // distinct per user
    RatingEvent e = new RatingEvent(user, movie, 4.5, System.currentTimeMillis());
    producer.send(new ProducerRecord<>(Topics.RATINGS, Integer.toString(user).getBytes(StandardCharsets.UTF_8), JsonCodec.RATING.encode(e)));
    sent++;
  }

  @Override
  public void close() {
    producer.close();
  }
}
