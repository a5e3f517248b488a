package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PreprocessorTest {

  @TempDir Path tmp;

  @Test
  void paperProtocolInvariants() throws Exception {
    // hand-made: user 1 has 6 positives, user 2 has 4 (dropped), users 3..12 have 5..14 positives
    StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
    Map<Integer, Integer> positives = new HashMap<>();
    for (int u = 1; u <= 12; u++) {
      int n = u == 1 ? 6 : u == 2 ? 4 : u + 2;
      positives.put(u, n);
      for (int i = 0; i < n; i++) {
        csv.append(u).append(',').append(100 + (u * 7 + i * 3) % 40).append(",4.0,").append(i).append('\n');
        csv.append(u).append(',').append(500 + i).append(",3.5,").append(i).append('\n'); // not positive: 3.5
      }
    }
    Path file = Files.writeString(tmp.resolve("ratings.csv"), csv);
    Preprocessor.Result r = Preprocessor.run(file, Preprocessor.Options.paper(2, 42), false);
    SplitData s = r.split();
    assertEquals(12, r.stats().users());
    assertEquals(11, r.stats().keptUsers()); // user 2 has only 4 positives
    assertEquals(7, s.train().rows());
    assertEquals(2, s.valTr().rows());
    assertEquals(2, s.testTr().rows());
    // items: exactly the movies of training users; no 3.5 ratings (movies 500+)
    assertTrue(Arrays.stream(s.movieIds()).allMatch(m -> m >= 100 && m < 140));
    assertEquals(s.train().cols(), s.numItems());
    Set<Integer> trainItems = new HashSet<>();
    for (int u = 0; u < s.train().rows(); u++) {
      Arrays.stream(s.train().row(u)).forEach(trainItems::add);
    }
    assertEquals(s.numItems(), trainItems.size());
    // held-out users: 20% (floor) of their known items held out when they have >= 5
    for (Csr[] pair : List.of(new Csr[] {s.valTr(), s.valTe()}, new Csr[] {s.testTr(), s.testTe()})) {
      for (int u = 0; u < pair[0].rows(); u++) {
        int n = pair[0].rowLength(u) + pair[1].rowLength(u);
        assertEquals(n >= 5 ? n / 5 : 0, pair[1].rowLength(u), "user row " + u + " with " + n + " items");
        Set<Integer> tr = new HashSet<>();
        Arrays.stream(pair[0].row(u)).forEach(tr::add);
        assertTrue(Arrays.stream(pair[1].row(u)).noneMatch(tr::contains), "fold-in and held-out overlap");
      }
    }
    assertEquals(r.stats().positives(), positives.values().stream().mapToInt(i -> i).sum());
    List<Set<Long>> parts = assertEveryKnownInteractionInExactlyOnePlace(positivesByUser(file), s);
    assertEquals(Set.of(1L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L), union(parts));
  }

  @Test
  void usersAreDisjointAndSeedMatters() throws Exception {
    Path ratings = TestData.ratings(tmp.resolve("d"), 400, 150, 3);
    Map<Long, Set<Long>> positives = positivesByUser(ratings);
    SplitData a = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 1), false).split();
    SplitData b = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 1), false).split();
    SplitData c = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 2), false).split();
    List<Set<Long>> partsA = assertEveryKnownInteractionInExactlyOnePlace(positives, a);
    List<Set<Long>> partsC = assertEveryKnownInteractionInExactlyOnePlace(positives, c);
    Set<Long> kept = new HashSet<>();
    positives.forEach((user, items) -> {
      if (items.size() >= 5) {
        kept.add(user);
      }
    });
    assertTrue(kept.size() > 380, "nearly all synthetic users have 5 positives: " + kept.size());
    assertEquals(kept, union(partsA));
    assertEquals(kept, union(partsC));
    assertEquals(List.of(kept.size() - 80, 40, 40), partsA.stream().map(Set::size).toList());
    assertEquals(a.fingerprint(), b.fingerprint());
    for (int part = 0; part < 3; part++) {
      assertNotEquals(partsA.get(part), partsC.get(part), "another seed puts other users in part " + part);
    }
  }

  /** Positive (above 3.5) movies of each user of a ratings.csv, parsed here with plain string splitting. */
  private static Map<Long, Set<Long>> positivesByUser(Path csv) throws Exception {
    Map<Long, Set<Long>> out = new HashMap<>();
    List<String> lines = Files.readAllLines(csv);
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      if (Double.parseDouble(f[2]) > 3.5) {
        assertTrue(out.computeIfAbsent(Long.parseLong(f[0]), u -> new HashSet<>()).add(Long.parseLong(f[1])), "test data repeats " + line);
      }
    }
    return out;
  }

  /**
   * Checks, against the raw positives, that every row of the split is one user's data, that no
   * user has two rows (in one part or in two), and that every positive of those users whose movie is
   * in the item set is in exactly one place: the train row, or the fold-in or held-out row of the
   * user's split. The item set must be exactly the training users' movies.
   *
   * @return the userIds of the train, validation and test rows
   */
  private static List<Set<Long>> assertEveryKnownInteractionInExactlyOnePlace(Map<Long, Set<Long>> positives, SplitData s) {
    long[] movieIds = s.movieIds();
    Set<Long> itemSet = new HashSet<>();
    for (long m : movieIds) {
      assertTrue(itemSet.add(m), "movie " + m + " has two indices");
    }
    // a row's user is the one whose known positives are exactly the row's movies
    Map<Set<Long>, List<Long>> usersByKnown = new HashMap<>();
    positives.forEach((user, items) -> {
      Set<Long> known = new HashSet<>(items);
      known.retainAll(itemSet);
      usersByKnown.computeIfAbsent(known, k -> new ArrayList<>()).add(user);
    });
    List<Set<Long>> parts = new ArrayList<>();
    Set<Long> trainMovies = new HashSet<>();
    Set<Long> seen = new HashSet<>();
    for (Csr[] part : List.of(new Csr[] {s.train()}, new Csr[] {s.valTr(), s.valTe()}, new Csr[] {s.testTr(), s.testTe()})) {
      Set<Long> users = new HashSet<>();
      for (int row = 0; row < part[0].rows(); row++) {
        Set<Long> movies = new HashSet<>();
        int length = 0;
        for (Csr m : part) {
          for (int i : m.row(row)) {
            movies.add(movieIds[i]);
            length++;
          }
        }
        assertEquals(length, movies.size(), "a movie twice in row " + row + " (train, or fold-in and held-out)");
        assertTrue(!movies.isEmpty(), "empty row " + row);
        List<Long> candidates = usersByKnown.getOrDefault(movies, List.of());
        assertTrue(!candidates.isEmpty(), "row " + row + " is no user's known positives, or a user's second row");
        // users with the same known positives are interchangeable here; each row takes one of them
        long user = candidates.remove(0);
        assertTrue(seen.add(user));
        users.add(user);
        if (part.length == 1) {
          assertEquals(positives.get(user), movies, "a training user keeps all their positives");
          trainMovies.addAll(movies);
        }
      }
      parts.add(users);
    }
    assertEquals(itemSet, trainMovies, "the item set is the training users' movies");
    // and counted from the raw data: the positives of the users in the split whose movie is known
    long known = 0;
    for (long user : seen) {
      known += positives.get(user).stream().filter(itemSet::contains).count();
    }
    long total = s.train().nnz() + s.valTr().nnz() + s.valTe().nnz() + s.testTr().nnz() + s.testTe().nnz();
    assertEquals(known, total);
    return parts;
  }

  private static Set<Long> union(List<Set<Long>> parts) {
    Set<Long> all = new HashSet<>();
    parts.forEach(all::addAll);
    return all;
  }

  @Test
  void splitDirectoryRoundTrips() throws Exception {
    SplitData s = TestData.split(tmp.resolve("d"), 300, 120, 30, 4);
    SplitIO.write(tmp.resolve("split"), s);
    assertEquals("uid,sid", Files.readAllLines(tmp.resolve("split/train.csv")).get(0));
    SplitData back = SplitIO.read(tmp.resolve("split"));
    assertArrayEquals(s.movieIds(), back.movieIds());
    for (int u = 0; u < s.train().rows(); u++) {
      assertArrayEquals(s.train().row(u), back.train().row(u));
    }
    assertEquals(s.valTe().nnz(), back.valTe().nnz());
    assertEquals(s.testTr().nnz(), back.testTr().nnz());
    for (int u = 0; u < back.testTe().rows(); u++) {
      assertArrayEquals(s.testTe().row(u), back.testTe().row(u));
    }
  }
}
