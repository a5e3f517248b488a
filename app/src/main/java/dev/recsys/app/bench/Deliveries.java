package dev.recsys.app.bench;

import dev.recsys.app.Percentiles;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The consumer's side: every recommendation as it becomes visible ({@code read_committed}), with
 * its trigger's Kafka timestamp, when the job emitted it, when the broker appended it (where the
 * topic keeps {@code LogAppendTime}) and when this consumer saw it. Only those numbers are read
 * from each record: a full decode would take CPU from the job.
 */
final class Deliveries implements AutoCloseable {

  /**
   * Latencies of the recommendations whose triggers were sent in one window; with how many became
   * visible later than the 100 ms target, and when the slowest one's trigger was sent (to hold
   * against checkpoint times and logs).
   */
  record Latencies(long count, Spread emitted, Spread visible, long visibleOver100, long slowestSentAt, Spread toBroker, Spread toConsumer,
                   SlowSeconds slowSeconds) {

    String describe() {
      return String.format("%,d lists; emitted %s; visible %s; %,d (%.2f%%) visible after more than 100 ms (%s); the slowest triggered at %s; "
              + "emitted -> appended by the broker %s; appended -> seen here %s", count, emitted, visible, visibleOver100,
          count == 0 ? 0 : 100.0 * visibleOver100 / count, slowSeconds, count == 0 ? "-" : Instant.ofEpochMilli(slowestSentAt),
          hop(toBroker), hop(toConsumer));
    }

    /** A hop is measured only where the topic keeps the broker's append time. */
    private static String hop(Spread s) {
      return s.count() == 0 ? "(no LogAppendTime)" : s.toString();
    }
  }

  /** p50, p99 and max of some latencies, in ms. */
  record Spread(long count, long p50, long p99, long max) {
    static Spread of(long[] sorted) {
      int n = sorted.length;
      return new Spread(n, Percentiles.of(sorted, 50), Percentiles.of(sorted, 99), n == 0 ? 0 : sorted[n - 1]);
    }

    @Override
    public String toString() {
      return String.format("p50 %d, p99 %d, max %d ms", p50, p99, max);
    }
  }

  private final Object lock = new Object();
  private long[] published = new long[1 << 20];
  private long[] emitted = new long[1 << 20];
  private long[] visible = new long[1 << 20];
  private long[] appended = new long[1 << 20];
  private int size;
  private final AtomicLong count = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final Thread thread;

  Deliveries(String bootstrap) {
    thread = new Thread(() -> {
      var props = KafkaClients.readCommittedConsumer(bootstrap, "bench-" + System.nanoTime());
      props.put("auto.offset.reset", "latest");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(Topics.RECOMMENDATIONS));
        while (running.get()) {
          for (var r : c.poll(Duration.ofMillis(50))) {
            long now = System.currentTimeMillis();
            String json = new String(r.value(), StandardCharsets.UTF_8);
            long append = r.timestampType() == TimestampType.LOG_APPEND_TIME ? r.timestamp() : -1;
            add(longField(json, "\"triggerPublishedAt\":"), longField(json, "\"emittedAt\":"), append, now);
          }
        }
      }
    }, "bench-consumer");
    thread.setDaemon(true);
    thread.start();
  }

  /** Recommendations seen so far. */
  long count() {
    return count.get();
  }

  /** Waits for the consumer to join the topic (it starts at the end). */
  void awaitAssignment() throws InterruptedException {
    Thread.sleep(3000);
  }

  private void add(long pub, long emit, long append, long seen) {
    synchronized (lock) {
      if (size == published.length) {
        published = Arrays.copyOf(published, size * 2);
        emitted = Arrays.copyOf(emitted, size * 2);
        visible = Arrays.copyOf(visible, size * 2);
        appended = Arrays.copyOf(appended, size * 2);
      }
      published[size] = pub;
      emitted[size] = emit;
      visible[size] = seen;
      appended[size] = append;
      size++;
    }
    count.incrementAndGet();
  }

  /** Recommendations whose trigger was sent in [fromMs, toMs]. */
  long answered(long fromMs, long toMs) {
    return countBetween(true, fromMs, toMs);
  }

  /** Recommendations emitted in [fromMs, toMs] (the job's output rate, whatever was sent when). */
  long emittedBetween(long fromMs, long toMs) {
    return countBetween(false, fromMs, toMs);
  }

  private long countBetween(boolean byPublished, long fromMs, long toMs) {
    synchronized (lock) {
      long[] times = byPublished ? published : emitted; // read under the lock: add() may replace the arrays
      long n = 0;
      for (int i = 0; i < size; i++) {
        n += times[i] >= fromMs && times[i] <= toMs ? 1 : 0;
      }
      return n;
    }
  }

  /**
   * Waits until at least {@code share} of a window's {@code sent} events were answered, and fails
   * loudly if that does not happen within {@code timeout}: a silent shortfall would make every
   * figure after it meaningless.
   */
  void awaitAnswers(String phase, RatingLoad.Window w, double share, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long got;
    while ((got = answered(w.fromMs(), w.toMs())) < share * w.sent()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(String.format("%s: only %,d of %,d events answered within %d s of the end of sending (%.1f%%): "
            + "the job fell behind or lost events", phase, got, w.sent(), timeout.toSeconds(), 100.0 * got / w.sent()));
      }
      Thread.sleep(100);
    }
  }

  /** Latency percentiles of the recommendations whose trigger was sent in [fromMs, toMs]. */
  Latencies latencies(long fromMs, long toMs) {
    long[] e;
    long[] v;
    long[] toBroker;
    long[] toConsumer;
    long over100 = 0;
    long[] slowSentAt;
    long slowest = -1;
    long slowestAt = 0;
    synchronized (lock) {
      int n = 0;
      int hops = 0;
      e = new long[size];
      v = new long[size];
      toBroker = new long[size];
      toConsumer = new long[size];
      slowSentAt = new long[size];
      for (int i = 0; i < size; i++) {
        if (published[i] >= fromMs && published[i] <= toMs) {
          e[n] = emitted[i] - published[i];
          v[n] = visible[i] - published[i];
          if (appended[i] >= 0) {
            toBroker[hops] = appended[i] - emitted[i];
            toConsumer[hops++] = visible[i] - appended[i];
          }
          if (v[n] > 100) {
            slowSentAt[(int) over100++] = published[i];
          }
          if (v[n] > slowest) {
            slowest = v[n];
            slowestAt = published[i];
          }
          n++;
        }
      }
      e = Arrays.copyOf(e, n);
      v = Arrays.copyOf(v, n);
      toBroker = Arrays.copyOf(toBroker, hops);
      toConsumer = Arrays.copyOf(toConsumer, hops);
    }
    Arrays.sort(e);
    Arrays.sort(v);
    Arrays.sort(toBroker);
    Arrays.sort(toConsumer);
    return new Latencies(e.length, Spread.of(e), Spread.of(v), over100, slowestAt, Spread.of(toBroker), Spread.of(toConsumer),
        SlowSeconds.of(Arrays.copyOf(slowSentAt, (int) over100), fromMs, toMs));
  }

  /**
   * How the slow lists' triggers spread over a window's seconds: a stall packs them into a few
   * seconds, a scorer short of time spreads them over many. {@code worst} holds the five seconds
   * (epoch seconds) with the most, worst first, and {@code counts} how many each.
   */
  record SlowSeconds(int lists, int lateSeconds, long windowSeconds, int tenth, long inWorstTenth, List<Long> worst, List<Integer> counts) {

    static SlowSeconds of(long[] sentAt, long fromMs, long toMs) {
      Map<Long, Integer> bySecond = new HashMap<>();
      for (long t : sentAt) {
        bySecond.merge(t / 1000, 1, Integer::sum);
      }
      List<Map.Entry<Long, Integer>> worst = new ArrayList<>(bySecond.entrySet());
      worst.sort(Map.Entry.<Long, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
      long seconds = (toMs - fromMs + 999) / 1000;
      int tenth = (int) Math.max(1, seconds / 10);
      long inWorstTenth = worst.stream().limit(tenth).mapToLong(Map.Entry::getValue).sum();
      List<Map.Entry<Long, Integer>> five = worst.subList(0, Math.min(5, worst.size()));
      return new SlowSeconds(sentAt.length, bySecond.size(), seconds, tenth, inWorstTenth, five.stream().map(Map.Entry::getKey).toList(),
          five.stream().map(Map.Entry::getValue).toList());
    }

    @Override
    public String toString() {
      if (lists == 0) {
        return "none";
      }
      StringBuilder b = new StringBuilder(String.format("triggered in %d of the window's %d seconds; its worst %d second(s) held %.0f%% of them:",
          lateSeconds, windowSeconds, tenth, 100.0 * inWorstTenth / lists));
      for (int i = 0; i < worst.size(); i++) {
        b.append(' ').append(Instant.ofEpochSecond(worst.get(i))).append(" (").append(counts.get(i)).append(')');
      }
      return b.toString();
    }
  }

  static long longField(String json, String key) {
    int at = json.indexOf(key) + key.length();
    int end = at;
    while (end < json.length() && Character.isDigit(json.charAt(end))) {
      end++;
    }
    return Long.parseLong(json, at, end, 10);
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(5000);
  }
}
