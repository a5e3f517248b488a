package dev.recsys.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Users waiting to be scored, between the task thread that adds them and the scoring threads that
 * take them in batches, in the manner of a dynamic batcher: when a scorer frees up it takes
 * whatever is waiting, up to the batch size, after waiting at most its own delay for a fuller
 * batch (a scorer that should join only under load waits longer). Batches are emitted in the
 * order they were taken, whichever scorer finishes first; a batch's result, of type {@code R},
 * waits here for the batches taken before it.
 *
 * <p>A user waits once: a newer rating of a user who is still waiting replaces the snapshot in
 * place. A user whose earlier snapshot is being scored waits again with the newer one, so their
 * lists are emitted in order. Every user who was added and not yet emitted ({@link #unemitted})
 * goes into checkpoints, in order, and is scored again after a restore.
 */
final class ScoringQueue<R> {

  /** A batch taken by the scorer, emitted as a whole. */
  record Batch(List<Pending> users, long takenAtNanos) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<Long, Pending> waiting = new LinkedHashMap<>();
  private final Deque<Batch> taken = new ArrayDeque<>();
  private final Map<Batch, R> done = new IdentityHashMap<>(); // scored, waiting for a batch taken earlier
  private long oldestSinceNanos;
  private int takenUsers;
  private boolean closed;

  /** Adds (or, for a user already waiting, replaces) a snapshot. */
  void add(Pending p) {
    locked(() -> {
      if (waiting.isEmpty()) {
        oldestSinceNanos = System.nanoTime();
      }
      waiting.put(p.userId, p); // an existing key keeps its place
      changed.signalAll();
    });
  }

  /**
   * The scorer's side: blocks until users wait and {@code ready} holds (a model is in service),
   * then waits up to {@code delayNanos} from the oldest arrival for {@code batchSize} users.
   *
   * @return the batch, or null once closed
   */
  Batch take(int batchSize, long delayNanos, BooleanSupplier ready) throws InterruptedException {
    lock.lock();
    try {
      while (true) {
        if (closed) {
          return null;
        }
        if (waiting.isEmpty() || !ready.getAsBoolean()) {
          changed.await(100, TimeUnit.MILLISECONDS); // also looks again for a model that came in
          continue;
        }
        long due = oldestSinceNanos + delayNanos;
        long now = System.nanoTime();
        if (waiting.size() >= batchSize || now >= due) {
          return takeLocked(batchSize, now);
        }
        changed.awaitNanos(due - now);
      }
    } finally {
      lock.unlock();
    }
  }

  private Batch takeLocked(int batchSize, long now) {
    List<Pending> users = new ArrayList<>(Math.min(batchSize, waiting.size()));
    Iterator<Pending> it = waiting.values().iterator();
    while (it.hasNext() && users.size() < batchSize) {
      users.add(it.next());
      it.remove();
    }
    // those left behind came after the oldest, so its deadline bounds theirs: no second delay
    Batch b = new Batch(users, now);
    taken.addLast(b);
    takenUsers += users.size();
    return b;
  }

  /**
   * The task thread's side, once a scorer is done with {@code b}: the results now due, in the order
   * their batches were taken, each batch leaving the queue. A batch finished before one taken
   * earlier waits for it, so a user's later list never goes out before an earlier one.
   */
  List<R> finished(Batch b, R result) {
    return locked(() -> {
      if (!taken.contains(b) || done.containsKey(b)) {
        throw new IllegalStateException("a batch must be taken, and finished once");
      }
      done.put(b, result);
      List<R> due = new ArrayList<>();
      while (!taken.isEmpty() && done.containsKey(taken.peekFirst())) {
        Batch first = taken.removeFirst();
        due.add(done.remove(first));
        takenUsers -= first.users().size();
      }
      return due;
    });
  }

  /** Users added and not yet emitted: being scored first, then waiting. */
  int size() {
    return locked(() -> takenUsers + waiting.size());
  }

  /** Batches taken by the scorers and not yet emitted. */
  int batchesInFlight() {
    return locked(taken::size);
  }

  /** Users waiting for a scorer (not counting batches being scored). */
  int waiting() {
    return locked(waiting::size);
  }

  /** Every user not yet emitted, in emission order: what a checkpoint keeps. */
  List<Pending> unemitted() {
    return locked(() -> {
      List<Pending> out = new ArrayList<>(takenUsers + waiting.size());
      taken.forEach(b -> out.addAll(b.users()));
      out.addAll(waiting.values());
      return out;
    });
  }

  /** Wakes the scorer up to look again (a model came into service). */
  void wakeUp() {
    locked(() -> {
      changed.signalAll();
    });
  }

  /** Releases a scorer blocked in {@link #take}; it returns null from then on. */
  void close() {
    locked(() -> {
      closed = true;
      changed.signalAll();
    });
  }

  private void locked(Runnable f) {
    locked(() -> {
      f.run();
      return null;
    });
  }

  private <T> T locked(Supplier<T> f) {
    lock.lock();
    try {
      return f.get();
    } finally {
      lock.unlock();
    }
  }
}
