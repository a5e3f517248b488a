package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recsys.trainer.data.Csr;
import dev.recsys.trainer.data.Preprocessor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.data.SplitIO;
import java.nio.file.Files;
import java.nio.file.Path;
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
    // every kept user is in exactly one part; all interactions are accounted for
    long total = s.train().nnz() + s.valTr().nnz() + s.valTe().nnz() + s.testTr().nnz() + s.testTe().nnz();
    assertTrue(total <= positives.values().stream().mapToInt(i -> i).sum() - 4);
    assertEquals(r.stats().positives(), positives.values().stream().mapToInt(i -> i).sum());
  }

  @Test
  void usersAreDisjointAndSeedMatters() throws Exception {
    Path ratings = TestData.ratings(tmp.resolve("d"), 400, 150, 3);
    SplitData a = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 1), false).split();
    SplitData b = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 1), false).split();
    SplitData c = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 2), false).split();
    assertEquals(a.fingerprint(), b.fingerprint());
    assertTrue(!a.fingerprint().equals(c.fingerprint()));
    Preprocessor.Result r = Preprocessor.run(ratings, Preprocessor.Options.paper(40, 1), false);
    assertEquals(r.stats().keptUsers() - 80, a.train().rows());
    assertTrue(r.stats().keptUsers() > 380, "nearly all synthetic users have 5 positives");
    // no interaction is invented: every split row comes from a kept positive
    assertTrue(a.train().nnz() + a.valTr().nnz() + a.valTe().nnz() + a.testTr().nnz() + a.testTe().nnz() <= r.stats().positives());
  }

  @Test
  void splitDirectoryRoundTrips() throws Exception {
    SplitData s = TestData.split(tmp.resolve("d"), 300, 120, 30, 4);
    SplitIO.write(tmp.resolve("split"), s);
    assertTrue(SplitIO.isSplitDir(tmp.resolve("split")));
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
