package dev.recsys.model.movielens;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Streams MovieLens ratings in any of their published forms, one row at a time with bounded memory:
 *
 * <ul>
 *   <li>ML-20M / ml-latest {@code ratings.csv}: header {@code userId,movieId,rating,timestamp};
 *   <li>ML-1M / ML-10M {@code ratings.dat}: {@code userId::movieId::rating::timestamp};
 *   <li>either of them gzipped ({@code .gz}), or inside the GroupLens {@code .zip}.
 * </ul>
 *
 * A malformed row raises a {@link DataFormatException} naming the file and line, unless the reader
 * was told to skip bad rows, in which case it counts them.
 */
public final class MovieLensReader {

  /** Receives each parsed rating. */
  @FunctionalInterface
  public interface Sink {
    void accept(long userId, long movieId, float rating, long timestampSeconds);
  }

  private final Path file;
  private final boolean skipBadRows;
  private long badRows;
  private long rows;

  private MovieLensReader(Path file, boolean skipBadRows) {
    this.file = file;
    this.skipBadRows = skipBadRows;
  }

  /** Reads every rating of {@code file} into {@code sink}. */
  public static MovieLensReader read(Path file, boolean skipBadRows, Sink sink) throws IOException {
    MovieLensReader r = new MovieLensReader(file, skipBadRows);
    r.run(sink);
    return r;
  }

  /** Rows parsed successfully. */
  public long rows() {
    return rows;
  }

  /** Rows skipped as malformed (only when skipping was asked for). */
  public long badRows() {
    return badRows;
  }

  private void run(Sink sink) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such ratings file");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      if (name.endsWith(".zip")) {
        ZipInputStream zip = new ZipInputStream(raw);
        for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
          String entry = e.getName().toLowerCase(Locale.ROOT);
          if (entry.endsWith("/ratings.csv") || entry.equals("ratings.csv")
              || entry.endsWith("/ratings.dat") || entry.equals("ratings.dat")) {
            parse(zip, entry.endsWith(".dat"), sink);
            return;
          }
        }
        throw new DataFormatException(file, 0, "zip holds no ratings.csv or ratings.dat");
      }
      InputStream in = name.endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
      String base = name.endsWith(".gz") ? name.substring(0, name.length() - 3) : name;
      parse(in, base.endsWith(".dat"), sink);
    }
  }

  private void parse(InputStream in, boolean dat, Sink sink) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
    long lineNo = 0;
    String line;
    if (!dat) {
      line = reader.readLine();
      lineNo++;
      if (line == null) {
        throw new DataFormatException(file, 1, "empty file, expected header userId,movieId,rating,timestamp");
      }
      if (!line.replace("\uFEFF", "").trim().toLowerCase(Locale.ROOT).startsWith("userid,movieid,rating")) {
        throw new DataFormatException(file, 1, "expected header userId,movieId,rating,timestamp, found '" + abbreviate(line) + "'");
      }
    }
    char sep = dat ? ':' : ',';
    int width = dat ? 2 : 1;
    long[] f = new long[4];
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String problem = split(line, sep, width, f);
      if (problem == null) {
        float rating = Float.intBitsToFloat((int) f[2]);
        if (!(rating >= 0.5f && rating <= 5f)) {
          problem = "rating " + rating + " outside 0.5..5";
        } else if (f[0] < 0 || f[1] < 0) {
          problem = "negative id";
        } else {
          sink.accept(f[0], f[1], rating, f[3]);
          rows++;
          continue;
        }
      }
      if (!skipBadRows) {
        throw new DataFormatException(file, lineNo, problem + ": '" + abbreviate(line) + "'");
      }
      badRows++;
    }
  }

  /**
   * Splits a row into userId, movieId, rating (as float bits) and timestamp without allocating.
   *
   * @return null on success, else what is wrong
   */
  private static String split(String line, char sep, int width, long[] out) {
    int start = 0;
    for (int field = 0; field < 4; field++) {
      int end = field == 3 ? line.length() : line.indexOf(sep, start);
      if (end < 0) {
        return "expected 4 fields, found " + (field + 1);
      }
      if (width == 2 && field < 3 && (end + 1 >= line.length() || line.charAt(end + 1) != ':')) {
        return "expected '::' separators";
      }
      if (end == start) {
        return "empty field " + (field + 1);
      }
      try {
        if (field == 2) {
          out[2] = Float.floatToIntBits(Float.parseFloat(line.substring(start, end)));
        } else {
          out[field] = Long.parseLong(line, start, end, 10);
        }
      } catch (NumberFormatException e) {
        return "field " + (field + 1) + " is not a number: '" + line.substring(start, end) + "'";
      }
      start = end + width;
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
