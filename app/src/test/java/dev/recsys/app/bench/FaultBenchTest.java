package dev.recsys.app.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recsys.contracts.RecommendationEvent.Item;
import dev.recsys.model.scoring.ScoredItem;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fault bench's notion of "the same list": only float ties may trade places. */
class FaultBenchTest {

  private static final List<ScoredItem> EXPECTED =
      List.of(new ScoredItem(1, 0.5f), new ScoredItem(2, 0.25f), new ScoredItem(3, 0.25f - 4e-9f), new ScoredItem(4, 0.125f));

  @Test
  void identicalListsMatch() {
    assertTrue(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(2, 0.25f), new Item(3, 0.25f), new Item(4, 0.125f))));
  }

  @Test
  void tiedItemsMayTradePlaces() {
    assertTrue(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(3, 0.25f), new Item(2, 0.25f), new Item(4, 0.125f))));
  }

  @Test
  void aTieAcrossTheCutOffMayReplaceTheLastItem() {
    assertTrue(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(2, 0.25f), new Item(3, 0.25f), new Item(9, 0.125f))));
  }

  @Test
  void anotherItemOrScoreIsADifferentList() {
    assertFalse(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(2, 0.25f), new Item(9, 0.25f), new Item(4, 0.125f))));
    assertFalse(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(2, 0.25f), new Item(3, 0.24f), new Item(4, 0.125f))));
    assertFalse(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(1, 0.5f), new Item(3, 0.25f), new Item(2, 0.25f))));
  }

  @Test
  void swappedItemsWithDistinctScoresAreADifferentList() {
    assertFalse(FaultBench.sameUpToTies(EXPECTED, List.of(new Item(2, 0.5f), new Item(1, 0.25f), new Item(3, 0.25f), new Item(4, 0.125f))));
  }
}
