package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ScoringQueueTest {

  private static final long NO_WAIT = 0;

  private static ScoringQueue<String> queueOf(long... users) {
    ScoringQueue<String> q = new ScoringQueue<>();
    for (long u : users) {
      q.add(pending(u));
    }
    return q;
  }

  private static Pending pending(long user) {
    Pending p = new Pending();
    p.userId = user;
    return p;
  }

  private static List<Long> users(ScoringQueue.Batch b) {
    return b.users().stream().map(p -> p.userId).toList();
  }

  @Test
  void aFreeScorerTakesWhatWaitsUpToTheBatchSizeOldestFirst() throws Exception {
    ScoringQueue<String> q = queueOf(LongStream.rangeClosed(1, 5).toArray());

    assertThat(users(q.take(3, NO_WAIT, () -> true))).containsExactly(1L, 2L, 3L);
    assertThat(users(q.take(3, NO_WAIT, () -> true))).containsExactly(4L, 5L);
    assertThat(q.waiting()).isZero();
    assertThat(q.size()).as("taken, not yet emitted").isEqualTo(5);
  }

  @Test
  void usersLeftBehindByAFullBatchWaitNoLongerThanTheOldestDid() throws Exception {
    Duration delay = Duration.ofSeconds(3);
    long arrived = System.nanoTime();
    ScoringQueue<String> q = queueOf(1, 2, 3, 4);
    Thread.sleep(delay.toMillis() / 2);
    assertThat(users(q.take(3, delay.toNanos(), () -> true))).as("full at once").containsExactly(1L, 2L, 3L);
    Thread.sleep(Math.max(0, (arrived + delay.toNanos() - System.nanoTime()) / 1_000_000 + 50)); // past all four's deadline

    long t0 = System.nanoTime();
    ScoringQueue.Batch rest = q.take(3, delay.toNanos(), () -> true);

    assertThat(users(rest)).containsExactly(4L);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no second delay from the first batch on").isLessThan(delay.dividedBy(4));
  }

  @Test
  void aFreeScorerWaitsForAFullerBatchUntilTheOldestArrivalsDeadline() throws Exception {
    long delay = Duration.ofMillis(300).toNanos();
    ScoringQueue<String> q = queueOf(1);
    long t0 = System.nanoTime();

    assertThat(users(q.take(3, delay, () -> true))).containsExactly(1L);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofNanos(delay));
  }

  @Test
  void aNewerRatingOfAWaitingUserReplacesTheSnapshotInPlace() throws Exception {
    ScoringQueue<String> q = queueOf(1, 2, 3);
    Pending newer = pending(1);
    q.add(newer);

    ScoringQueue.Batch b = q.take(10, NO_WAIT, () -> true);

    assertThat(users(b)).containsExactly(1L, 2L, 3L);
    assertThat(b.users().get(0)).isSameAs(newer);
  }

  @Test
  void aBatchFinishedBeforeOneTakenEarlierWaitsForIt() throws Exception {
    ScoringQueue<String> q = queueOf(1, 2, 3, 4, 5, 6);
    ScoringQueue.Batch first = q.take(2, NO_WAIT, () -> true);
    ScoringQueue.Batch second = q.take(2, NO_WAIT, () -> true);
    ScoringQueue.Batch third = q.take(2, NO_WAIT, () -> true);

    assertThat(q.finished(third, "third")).isEmpty();
    assertThat(q.finished(second, "second")).isEmpty();
    assertThat(q.size()).isEqualTo(6);
    assertThat(q.unemitted()).extracting(p -> p.userId).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);

    assertThat(q.finished(first, "first")).containsExactly("first", "second", "third");
    assertThat(q.size()).isZero();
    assertThat(q.batchesInFlight()).isZero();
  }

  @Test
  void theOldestBatchGoesOutAtOnce() throws Exception {
    ScoringQueue<String> q = queueOf(1, 2, 3, 4);
    ScoringQueue.Batch first = q.take(2, NO_WAIT, () -> true);
    q.take(2, NO_WAIT, () -> true);

    assertThat(q.finished(first, "first")).containsExactly("first");
    assertThat(q.unemitted()).extracting(p -> p.userId).containsExactly(3L, 4L);
  }

  @Test
  void aBatchFinishesOnce() throws Exception {
    ScoringQueue<String> q = queueOf(1, 2, 3, 4);
    ScoringQueue.Batch first = q.take(2, NO_WAIT, () -> true);
    ScoringQueue.Batch second = q.take(2, NO_WAIT, () -> true);
    q.finished(second, "second");

    assertThatThrownBy(() -> q.finished(second, "again")).isInstanceOf(IllegalStateException.class);
    q.finished(first, "first");
    assertThatThrownBy(() -> q.finished(first, "again")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void unemittedUsersAreTheTakenOnesThenTheWaitingOnesInEmissionOrder() throws Exception {
    ScoringQueue<String> q = queueOf(7, 3, 9);
    q.take(2, NO_WAIT, () -> true);
    q.add(pending(3)); // scored already with the older snapshot: waits again
    q.add(pending(1));

    assertThat(q.unemitted()).extracting(p -> p.userId).containsExactly(7L, 3L, 9L, 3L, 1L);
  }

  @Test
  void closingReleasesAScorerWaitingForUsers() throws Exception {
    ScoringQueue<String> q = new ScoringQueue<>();
    ScoringQueue.Batch[] got = {new ScoringQueue.Batch(List.of(), 0)}; // not null until take returns
    Thread scorer = new Thread(() -> {
      try {
        got[0] = q.take(2, NO_WAIT, () -> true);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    scorer.start();
    q.close();
    scorer.join(10_000);

    assertThat(scorer.isAlive()).isFalse();
    assertThat(got[0]).isNull();
  }
}
