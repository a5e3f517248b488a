package dev.recsys.model.scoring;

/**
 * How a {@link Scorer} ranks: exact (every item's logit from the full output layer) or in two
 * stages (candidates from a rank-{@code rank} approximation of the output layer, then the exact
 * logits of the best {@code candidates} of them, from which the top-K is taken).
 *
 * @param rank 0 for exact, else the rank of the approximation
 * @param candidates items re-scored exactly per user (two-stage only)
 */
public record ScoringMode(int rank, int candidates) {

  public static final ScoringMode EXACT = new ScoringMode(0, 0);

  public ScoringMode {
    if (rank < 0 || (rank > 0 && candidates < 1)) {
      throw new IllegalArgumentException("two-stage scoring needs a rank of 1 or more and 1 or more candidates, not rank " + rank
          + " and " + candidates + " candidates");
    }
  }

  public static ScoringMode twoStage(int rank, int candidates) {
    if (rank < 1) {
      throw new IllegalArgumentException("the rank of two-stage scoring must be 1 or more, not " + rank);
    }
    return new ScoringMode(rank, candidates);
  }

  public boolean exact() {
    return rank == 0;
  }

  @Override
  public String toString() {
    return exact() ? "exact" : "two-stage (rank " + rank + ", " + candidates + " candidates)";
  }
}
