package dev.recsys.model.scoring;

/**
 * One user to score, in external movieIds.
 *
 * @param positives the items the model reads (the user's positive interactions)
 * @param rated every item the user rated; none of them is recommended
 */
public record UserQuery(long[] positives, long[] rated) {

  /** A user whose every rated item is also a positive. */
  public static UserQuery ofItems(long... items) {
    return new UserQuery(items, items);
  }
}
