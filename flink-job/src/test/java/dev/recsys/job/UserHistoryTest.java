package dev.recsys.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
  void capForgetsTheOldestRatings() {
    UserHistory h = new UserHistory();
    for (int m = 1; m <= 5; m++) {
      h.apply(m, 4f, m * 10L, 3);
    }
    assertArrayEquals(new long[] {3, 4, 5}, h.rated());
    // an out-of-order new movie is placed by its time: 3(30) 9(35) 4(40) 5(50), then 3 goes
    h.apply(9, 4f, 35, 3);
    assertArrayEquals(new long[] {9, 4, 5}, h.rated());
  }
}
