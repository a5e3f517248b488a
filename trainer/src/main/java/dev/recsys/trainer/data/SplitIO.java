package dev.recsys.trainer.data;

import dev.recsys.model.movielens.DataFormatException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The reference implementation's split layout, so splits can be exchanged with it and with other
 * implementations: {@code train.csv}, {@code validation_tr.csv}, {@code validation_te.csv}, {@code
 * test_tr.csv}, {@code test_te.csv} (header {@code uid,sid}) and {@code unique_sid.txt} (original
 * movieIds in sid order).
 *
 * <p>uids follow the reference: training users first (0..n-1), then validation, then test users;
 * validation and test rows are read relative to the smallest uid of their pair of files.
 */
public final class SplitIO {

  public static final String TRAIN = "train.csv";
  public static final String VAL_TR = "validation_tr.csv";
  public static final String VAL_TE = "validation_te.csv";
  public static final String TEST_TR = "test_tr.csv";
  public static final String TEST_TE = "test_te.csv";
  public static final String UNIQUE_SID = "unique_sid.txt";

  private SplitIO() {}

  public static void write(Path dir, SplitData s) throws IOException {
    Files.createDirectories(dir);
    try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(UNIQUE_SID), StandardCharsets.UTF_8)) {
      for (long id : s.movieIds()) {
        w.write(Long.toString(id));
        w.write('\n');
      }
    }
    int nTrain = s.train().rows();
    int nHeld = s.valTr().rows();
    writeCsv(dir.resolve(TRAIN), s.train(), 0);
    writeCsv(dir.resolve(VAL_TR), s.valTr(), nTrain);
    writeCsv(dir.resolve(VAL_TE), s.valTe(), nTrain);
    writeCsv(dir.resolve(TEST_TR), s.testTr(), nTrain + nHeld);
    writeCsv(dir.resolve(TEST_TE), s.testTe(), nTrain + nHeld);
  }

  private static void writeCsv(Path file, Csr m, int uidOffset) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("uid,sid\n");
      StringBuilder sb = new StringBuilder(32);
      for (int r = 0; r < m.rows(); r++) {
        for (int k = m.ptr()[r]; k < m.ptr()[r + 1]; k++) {
          sb.setLength(0);
          sb.append(r + uidOffset).append(',').append(m.idx()[k]).append('\n');
          w.write(sb.toString());
        }
      }
    }
  }

  public static SplitData read(Path dir) throws IOException {
    long[] movieIds = readMovieIds(dir.resolve(UNIQUE_SID));
    int nItems = movieIds.length;
    Pairs train = readCsv(dir.resolve(TRAIN), nItems);
    Csr trainCsr = Csr.fromPairs(train.maxUid + 1, nItems, train.uid, train.sid, train.n);
    Csr[] val = readTrTe(dir.resolve(VAL_TR), dir.resolve(VAL_TE), nItems);
    Csr[] test = readTrTe(dir.resolve(TEST_TR), dir.resolve(TEST_TE), nItems);
    return new SplitData(trainCsr, val[0], val[1], test[0], test[1], movieIds);
  }

  /** A {@code unique_sid.txt}: one original movieId per line, in column (sid) order. */
  public static long[] readMovieIds(Path file) throws IOException {
    List<String> sids = Files.readAllLines(file, StandardCharsets.UTF_8);
    long[] movieIds = new long[sids.size()];
    for (int i = 0; i < movieIds.length; i++) {
      try {
        movieIds[i] = Long.parseLong(sids.get(i).trim());
      } catch (NumberFormatException e) {
        throw new DataFormatException(file, i + 1, "not a movieId: '" + sids.get(i) + "'");
      }
    }
    return movieIds;
  }

  private static Csr[] readTrTe(Path trFile, Path teFile, int nItems) throws IOException {
    Pairs tr = readCsv(trFile, nItems);
    Pairs te = readCsv(teFile, nItems);
    int start = Math.min(tr.minUid, te.minUid);
    int end = Math.max(tr.maxUid, te.maxUid);
    int rows = end - start + 1;
    for (int i = 0; i < tr.n; i++) {
      tr.uid[i] -= start;
    }
    for (int i = 0; i < te.n; i++) {
      te.uid[i] -= start;
    }
    return new Csr[] {Csr.fromPairs(rows, nItems, tr.uid, tr.sid, tr.n), Csr.fromPairs(rows, nItems, te.uid, te.sid, te.n)};
  }

  private static final class Pairs {
    int[] uid = new int[1024];
    int[] sid = new int[1024];
    int n;
    int minUid = Integer.MAX_VALUE;
    int maxUid = -1;
  }

  private static Pairs readCsv(Path file, int nItems) throws IOException {
    Pairs p = new Pairs();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = r.readLine();
      if (header == null || !header.trim().equals("uid,sid")) {
        throw new DataFormatException(file, 1, "expected header uid,sid");
      }
      long lineNo = 1;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isEmpty()) {
          continue;
        }
        int comma = line.indexOf(',');
        int u;
        int s;
        try {
          u = Integer.parseInt(line, 0, comma, 10);
          s = Integer.parseInt(line, comma + 1, line.length(), 10);
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
          throw new DataFormatException(file, lineNo, "expected uid,sid integers: '" + line + "'");
        }
        if (u < 0 || s < 0 || s >= nItems) {
          throw new DataFormatException(file, lineNo, "sid " + s + " outside 0.." + (nItems - 1) + " (unique_sid.txt) or negative uid");
        }
        if (p.n == p.uid.length) {
          p.uid = java.util.Arrays.copyOf(p.uid, p.n * 2);
          p.sid = java.util.Arrays.copyOf(p.sid, p.n * 2);
        }
        p.uid[p.n] = u;
        p.sid[p.n++] = s;
        p.minUid = Math.min(p.minUid, u);
        p.maxUid = Math.max(p.maxUid, u);
      }
    }
    if (p.n == 0) {
      p.minUid = 0;
    }
    return p;
  }
}
