package dev.recsys.job;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Users waiting to be scored, between the task thread that adds them and the scoring threads that
 * take them in batches, in the manner of a dynamic batcher: when a scorer frees up it takes
 * whatever is waiting, up to the batch size, after waiting at most {@code maxDelay} for a fuller
 * batch. Batches are emitted in the order they were taken, whichever scorer finishes first.
 *
 * <p>A user waits once: a newer rating of a user who is still waiting replaces the snapshot in
 * place. A user whose earlier snapshot is being scored waits again with the newer one, so their
 * lists are emitted in order. Every user who was added and not yet emitted ({@link #unemitted})
 * goes into checkpoints, in order, and is scored again after a restore.
 */
final class ScoringQueue {

  /** A batch taken by the scorer, emitted as a whole. */
  record Batch(List<Pending> users, long takenAtNanos) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<Long, Pending> waiting = new LinkedHashMap<>();
  private final Deque<Batch> taken = new ArrayDeque<>();
  private long oldestSinceNanos;
  private int takenUsers;
  private boolean closed;

  /** Adds (or, for a user already waiting, replaces) a snapshot. */
  void add(Pending p) {
    lock.lock();
    try {
      if (waiting.isEmpty()) {
        oldestSinceNanos = System.nanoTime();
      }
      waiting.put(p.userId, p); // an existing key keeps its place
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The scorer's side: blocks until users wait and {@code ready} holds (a model is in service),
   * then waits up to {@code maxDelayNanos} from the oldest arrival for {@code batchSize} users.
   *
   * @return the batch, or null once closed
   */
  Batch take(int batchSize, long maxDelayNanos, BooleanSupplier ready) throws InterruptedException {
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
        long due = oldestSinceNanos + maxDelayNanos;
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
    oldestSinceNanos = now; // those left behind are scored next, without another delay
    Batch b = new Batch(users, now);
    taken.addLast(b);
    takenUsers += users.size();
    return b;
  }

  /** The batch taken first and not yet emitted, or null: the one to emit next. */
  Batch oldestTaken() {
    lock.lock();
    try {
      return taken.peekFirst();
    } finally {
      lock.unlock();
    }
  }

  /** The task thread's side, after emitting a batch's lists: it leaves the queue. */
  void emitted(Batch b) {
    lock.lock();
    try {
      if (taken.peekFirst() != b) {
        throw new IllegalStateException("batches must be emitted in the order they were taken");
      }
      taken.removeFirst();
      takenUsers -= b.users().size();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Users added and not yet emitted: being scored first, then waiting. */
  int size() {
    lock.lock();
    try {
      return takenUsers + waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** Batches taken by the scorer and not yet emitted. */
  int batchesInFlight() {
    lock.lock();
    try {
      return taken.size();
    } finally {
      lock.unlock();
    }
  }

  /** Users waiting for the scorer (not counting a batch being scored). */
  int waiting() {
    lock.lock();
    try {
      return waiting.size();
    } finally {
      lock.unlock();
    }
  }

  /** Every user not yet emitted, in emission order: what a checkpoint keeps. */
  List<Pending> unemitted() {
    lock.lock();
    try {
      List<Pending> out = new ArrayList<>(size());
      taken.forEach(b -> out.addAll(b.users()));
      out.addAll(waiting.values());
      return out;
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the scorer up to look again (a model came into service). */
  void wakeUp() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Releases a scorer blocked in {@link #take}; it returns null from then on. */
  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }
}
