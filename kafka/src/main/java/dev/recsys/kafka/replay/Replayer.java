package dev.recsys.kafka.replay;

import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RatingEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Sends rating events in timestamp order, keyed by userId, paced by a fixed rate and/or a speed-up
 * of the original timestamps. Event timestamps stay the original rating times (in ms).
 */
public final class Replayer {

  /**
   * @param rate events per second; 0 for as fast as possible
   * @param speedup replay the original time gaps this many times faster; 0 ignores them
   */
  public record Pace(double rate, double speedup) {
    public static final Pace FULL_SPEED = new Pace(0, 0);
  }

  private Replayer() {}

  /**
   * Sends events [from, to) and flushes.
   *
   * @param progress called with the index of each event sent
   * @param stop checked between events: true stops the replay early
   * @return the number of events sent
   */
  public static int send(Producer<byte[], byte[]> producer, String topic, ReplayEvents events, int from, int to, Pace pace,
      IntConsumer progress, BooleanSupplier stop) {
    long start = System.nanoTime();
    long firstTs = events.size() > from ? events.timestampSeconds(from) : 0;
    int sent = 0;
    for (int i = from; i < to && !stop.getAsBoolean(); i++) {
      long due = 0;
      if (pace.rate() > 0) {
        due = (long) ((i - from) * 1e9 / pace.rate());
      }
      if (pace.speedup() > 0) {
        due = Math.max(due, (long) ((events.timestampSeconds(i) - firstTs) * 1e9 / pace.speedup()));
      }
      long wait = start + due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      RatingEvent e = new RatingEvent(events.userId(i), events.movieId(i), events.rating(i), events.timestampSeconds(i) * 1000);
      producer.send(new ProducerRecord<>(topic, Long.toString(e.userId()).getBytes(StandardCharsets.UTF_8), JsonCodec.RATING.encode(e)));
      sent++;
      progress.accept(i);
    }
    producer.flush();
    return sent;
  }
}
