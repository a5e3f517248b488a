package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.scoring.Recommendations;
import dev.recsys.model.scoring.ScoredItem;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.UserQuery;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScorerTest {

  @TempDir Path tmp;

  private static final int ITEMS = 80;
  private static final long[] MOVIES = LongStream.range(0, ITEMS).map(i -> 500 + 3 * i).toArray();

  @Test
  void neverRecommendsRatedItemsAndOrdersByScore() throws IOException {
    Architecture arch = new Architecture(ModelType.DAE, ITEMS, new int[0], 10);
    ModelBundle bundle = RandomBundle.write(tmp.resolve("b"), arch, MOVIES, 9);
    // user 0 rated two items it did not like (not positives); user 1 has an unknown movie
    List<UserQuery> users =
        List.of(
            new UserQuery(new long[] {503, 509, 560}, new long[] {503, 509, 560, 512, 515}),
            UserQuery.ofItems(500, 99999, 623),
            UserQuery.ofItems(Arrays.copyOf(MOVIES, 60)));
    try (Scorer scorer = Scorer.open(bundle, Device.cpu())) {
      List<Recommendations> recs = scorer.score(users, 10);
      assertEquals(3, recs.size());
      for (int u = 0; u < users.size(); u++) {
        Recommendations r = recs.get(u);
        assertFalse(r.fallback());
        assertEquals(10, r.items().size());
        Set<Long> rated = new HashSet<>();
        Arrays.stream(users.get(u).rated()).forEach(rated::add);
        for (ScoredItem item : r.items()) {
          assertFalse(rated.contains(item.movieId()), "user " + u + " got rated item " + item);
        }
        // independent check: the full ranking of the reference forward pass, minus rated items
        int[] known =
            Arrays.stream(users.get(u).positives())
                .mapToInt(m -> Arrays.binarySearch(MOVIES, m))
                .filter(i -> i >= 0)
                .toArray();
        double[] logits = ReferenceForward.logits(arch, bundle.weights(), known);
        List<Long> expected =
            IntStream.range(0, ITEMS)
                .filter(i -> !rated.contains(MOVIES[i]))
                .boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -logits[i]))
                .limit(10)
                .map(i -> MOVIES[i])
                .toList();
        assertEquals(expected, r.items().stream().map(ScoredItem::movieId).toList(), "user " + u);
        for (int i = 1; i < r.items().size(); i++) {
          assertTrue(r.items().get(i - 1).score() >= r.items().get(i).score());
        }
      }
      // asking for more than is left returns only unrated items
      Recommendations all = scorer.score(users.get(2), 100);
      assertEquals(ITEMS - 60, all.items().size());
    }
  }

  @Test
  void usersWithNoKnownPositiveGetPopularityFallback() throws IOException {
    Architecture arch = new Architecture(ModelType.VAE, ITEMS, new int[] {16}, 4);
    ModelBundle bundle = RandomBundle.write(tmp.resolve("b"), arch, MOVIES, 2);
    try (Scorer scorer = Scorer.open(bundle, Device.cpu())) {
      // rated 500 and 503 (the two most popular) but liked nothing the model knows
      Recommendations r = scorer.score(new UserQuery(new long[] {424242}, new long[] {500, 503, 424242}), 5);
      assertTrue(r.fallback());
      assertEquals(List.of(506L, 509L, 512L, 515L, 518L), r.items().stream().map(ScoredItem::movieId).toList());
    }
  }
}
