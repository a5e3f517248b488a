package dev.recsys.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UserHistoryTest {

  @Test
  void positivesAreRatingsOfFourAndAbove() {
    UserHistory h = new UserHistory();
    h.apply(1, 3.5f, 10, 100);
    h.apply(2, 4.0f, 11, 100);
    h.apply(3, 5.0f, 12, 100);
    h.apply(4, 1.0f, 13, 100);
    assertArrayEquals(new long[] {2, 3}, h.positives());
    assertArrayEquals(new long[] {1, 2, 3, 4}, h.rated());
  }

  @Test
  void lowerReRatingRemovesAPositiveAndHigherAddsIt() {
    UserHistory h = new UserHistory();
    h.apply(7, 5f, 1, 100);
    assertTrue(h.apply(7, 2f, 2, 100));
    assertArrayEquals(new long[0], h.positives());
    assertArrayEquals(new long[] {7}, h.rated());
    assertTrue(h.apply(7, 4.5f, 3, 100));
    assertArrayEquals(new long[] {7}, h.positives());
  }

  @Test
  void duplicatesAndStaleEventsChangeNothing() {
    UserHistory h = new UserHistory();
    assertTrue(h.apply(7, 5f, 10, 100));
    assertFalse(h.apply(7, 5f, 10, 100), "exact duplicate");
    assertFalse(h.apply(7, 1f, 5, 100), "older than what we have");
    assertArrayEquals(new long[] {7}, h.positives());
  }

  @Test
  void theCapForgetsTheOldestInputsButNeverAnExclusion() {
    UserHistory h = new UserHistory();
    for (int m = 1; m <= 5; m++) {
      h.apply(m, 4f, m * 10L, 3);
    }
    assertArrayEquals(new long[] {3, 4, 5}, h.positives());
    assertArrayEquals(new long[] {1, 2, 3, 4, 5}, h.rated(), "every rated movie stays excluded");
    // an out-of-order new movie is placed by its time: 3(30) 9(35) 4(40) 5(50), then 3 goes
    h.apply(9, 4f, 35, 3);
    assertArrayEquals(new long[] {9, 4, 5}, h.positives());
    assertArrayEquals(new long[] {1, 2, 3, 4, 5, 9}, h.rated());
  }

  @Test
  void aHeavyUsersExclusionsStayComplete() {
    UserHistory h = new UserHistory();
    for (int m = 1; m <= 2_000; m++) {
      h.apply(m * 7L % 5003, 4f, m, 500);
    }
    assertArrayEquals(java.util.stream.LongStream.rangeClosed(1, 2_000).map(m -> m * 7 % 5003).sorted().toArray(), h.rated());
    assertEquals(500, h.positives().length);
  }

  @Test
  void stateWrittenBeforeTheExclusionsWereKeptApartStillExcludesItsMovies() {
    UserHistory old = new UserHistory();
    old.movieIds = new long[] {8, 3};
    old.ratings = new float[] {4f, 5f};
    old.timestamps = new long[] {1, 2};
    assertArrayEquals(new long[] {3, 8}, old.rated());
  }
}
