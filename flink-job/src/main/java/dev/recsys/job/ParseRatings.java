package dev.recsys.job;

import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RatingEvent;
import java.time.Duration;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Parses and validates rating records against the schema. Anything unusable goes to the
 * {@link DeadLetters} route with the reason, partition and offset; input never fails the job.
 */
public class ParseRatings extends ProcessFunction<RawRecord, Rating> {

  private final long maxFutureMs;

  /** @param maxFuture how far ahead of the job's clock a rating may be stamped */
  public ParseRatings(Duration maxFuture) {
    this.maxFutureMs = maxFuture.toMillis();
  }

  private transient Counter eventsIn;
  private transient Counter badEvents;
  private transient Histogram parseMicros;

  @Override
  public void open(OpenContext ctx) {
    eventsIn = getRuntimeContext().getMetricGroup().counter("eventsIn");
    badEvents = getRuntimeContext().getMetricGroup().counter("badEvents");
    parseMicros = getRuntimeContext().getMetricGroup().histogram("parseMicros", new DescriptiveStatisticsHistogram(10_000));
  }

  @Override
  public void processElement(RawRecord r, Context ctx, Collector<Rating> out) {
    eventsIn.inc();
    long t0 = System.nanoTime();
    try {
      RatingEvent e = JsonCodec.RATING.decode(r.value);
      parseMicros.update((System.nanoTime() - t0) / 1000);
      long now = System.currentTimeMillis();
      if (e.timestamp() > now + maxFutureMs) {
        // a rating from the far future would outrank every later re-rating of its movie forever
        badEvents.inc();
        ctx.output(DeadLetters.TAG, DeadLetters.of(r, "timestamp " + e.timestamp() + " is more than " + Duration.ofMillis(maxFutureMs)
            + " ahead of the job's clock (" + now + "); see ratings.max-future"));
        return;
      }
      out.collect(new Rating(e.userId(), e.movieId(), (float) e.rating(), e.timestamp(), r.timestamp, r.partition, r.offset));
    } catch (InvalidMessageException e) {
      badEvents.inc();
      ctx.output(DeadLetters.TAG, DeadLetters.of(r, e.getMessage()));
    } catch (RuntimeException e) { // whatever else a payload can provoke must not stop the job
      badEvents.inc();
      ctx.output(DeadLetters.TAG, DeadLetters.of(r, "unprocessable: " + e));
    }
  }
}
