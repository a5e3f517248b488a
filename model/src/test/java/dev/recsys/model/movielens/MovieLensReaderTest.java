package dev.recsys.model.movielens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MovieLensReaderTest {

  @TempDir Path tmp;

  /** One parsed row, as the reader hands it over. */
  private record Rating(long userId, long movieId, float rating, long timestampSeconds) {}

  private static final String CSV = "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,10,4.0,835355493\n";
  private static final List<Rating> EXPECTED =
      List.of(new Rating(1, 31, 2.5f, 1260759144L), new Rating(1, 1029, 3f, 1260759179L), new Rating(2, 10, 4f, 835355493L));

  private List<Rating> readAll(Path file) throws IOException {
    List<Rating> out = new ArrayList<>();
    MovieLensReader.read(file, false, (u, m, r, t) -> out.add(new Rating(u, m, r, t)));
    return out;
  }

  @Test
  void readsCsvDatGzipAndZip() throws IOException {
    Path csv = Files.writeString(tmp.resolve("ratings.csv"), CSV);
    assertEquals(EXPECTED, readAll(csv));

    Path dat = Files.writeString(tmp.resolve("ratings.dat"), "1::31::2.5::1260759144\n1::1029::3::1260759179\n2::10::4::835355493\n");
    assertEquals(EXPECTED, readAll(dat));

    Path gz = tmp.resolve("ratings.csv.gz");
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
      o.write(CSV.getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(EXPECTED, readAll(gz));

    Path zip = tmp.resolve("ml-20m.zip");
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(zip))) {
      z.putNextEntry(new ZipEntry("ml-20m/movies.csv"));
      z.write("movieId,title,genres\n".getBytes(StandardCharsets.UTF_8));
      z.putNextEntry(new ZipEntry("ml-20m/ratings.csv"));
      z.write(CSV.getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(EXPECTED, readAll(zip));
  }

  /**
   * Ratings written here, independently of the reader, in every published form: the reader must
   * return exactly them, in file order, whatever the form.
   */
  @Test
  void everyFormHoldsTheSameRatingsInFileOrder() throws IOException {
    SplittableRandom rnd = new SplittableRandom(17);
    List<Rating> written = new ArrayList<>();
    StringBuilder csv = new StringBuilder("userId,movieId,rating,timestamp\n");
    StringBuilder dat = new StringBuilder();
    for (int row = 0; row < 2_000; row++) {
      // users and movies out of order, some ids beyond 2^31, every half star
      long user = rnd.nextInt(10) == 0 ? 3_000_000_000L + rnd.nextInt(1000) : 1 + rnd.nextInt(5000);
      long movie = 1 + rnd.nextInt(200_000);
      int halfStars = 1 + rnd.nextInt(10);
      long time = 789_652_009L + rnd.nextInt(900_000_000);
      written.add(new Rating(user, movie, halfStars / 2f, time));
      String stars = halfStars % 2 == 0 ? Integer.toString(halfStars / 2) : (halfStars / 2) + ".5";
      csv.append(user).append(',').append(movie).append(',').append(halfStars / 2.0).append(',').append(time).append('\n');
      dat.append(user).append("::").append(movie).append("::").append(stars).append("::").append(time).append('\n');
    }
    Map<String, Path> forms = new LinkedHashMap<>();
    forms.put("csv", Files.writeString(tmp.resolve("ratings.csv"), csv));
    forms.put("dat", Files.writeString(tmp.resolve("ratings.dat"), dat));
    forms.put("csv.gz", gzip(tmp.resolve("ratings.csv.gz"), csv.toString()));
    forms.put("dat.gz", gzip(tmp.resolve("ratings.dat.gz"), dat.toString()));
    forms.put("ml-latest-small zip", zip(tmp.resolve("ml-latest-small.zip"), "ml-latest-small/ratings.csv", csv.toString()));
    forms.put("ml-1m zip", zip(tmp.resolve("ml-1m.zip"), "ml-1m/ratings.dat", dat.toString()));
    for (Map.Entry<String, Path> form : forms.entrySet()) {
      List<Rating> read = new ArrayList<>();
      MovieLensReader r = MovieLensReader.read(form.getValue(), false, (u, m, x, t) -> read.add(new Rating(u, m, x, t)));
      assertEquals(written.size(), read.size(), form.getKey());
      for (int i = 0; i < written.size(); i++) {
        assertEquals(written.get(i), read.get(i), form.getKey() + " row " + (i + 1));
      }
      assertEquals(written.size(), r.rows(), form.getKey());
      assertEquals(0, r.badRows(), form.getKey());
    }
  }

  private static Path gzip(Path file, String text) throws IOException {
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(file))) {
      o.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return file;
  }

  /** A GroupLens-style archive: other files of the dataset come before the ratings. */
  private static Path zip(Path file, String ratingsEntry, String text) throws IOException {
    String dir = ratingsEntry.substring(0, ratingsEntry.indexOf('/') + 1);
    try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
      z.putNextEntry(new ZipEntry(dir));
      z.putNextEntry(new ZipEntry(dir + "movies.csv"));
      z.write("movieId,title,genres\n1,Toy Story (1995),Animation\n".getBytes(StandardCharsets.UTF_8));
      z.putNextEntry(new ZipEntry(dir + "README.txt"));
      z.write("ratings.csv holds userId,movieId,rating,timestamp\n".getBytes(StandardCharsets.UTF_8));
      z.putNextEntry(new ZipEntry(ratingsEntry));
      z.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return file;
  }

  @Test
  void badRowNamesFileAndLine() throws IOException {
    Path csv = Files.writeString(tmp.resolve("ratings.csv"), CSV + "3,20,five,1\n4,5,4.0,2\n");
    DataFormatException e = assertThrows(DataFormatException.class, () -> readAll(csv));
    assertEquals(5, e.line());
    assertThat(e.getMessage()).startsWith(csv + ":5:").contains("field 3").contains("five");

    Path outOfRange = Files.writeString(tmp.resolve("r2.csv"), CSV + "3,20,7.5,1\n");
    e = assertThrows(DataFormatException.class, () -> readAll(outOfRange));
    assertThat(e.getMessage()).contains(":5:").contains("outside");

    Path shortRow = Files.writeString(tmp.resolve("r3.csv"), "userId,movieId,rating,timestamp\n1,2\n");
    e = assertThrows(DataFormatException.class, () -> readAll(shortRow));
    assertThat(e.getMessage()).contains(":2:").contains("4 fields");

    Path noHeader = Files.writeString(tmp.resolve("r4.csv"), "1,2,3.0,4\n");
    e = assertThrows(DataFormatException.class, () -> readAll(noHeader));
    assertThat(e.getMessage()).contains(":1:").contains("header");
  }

  @Test
  void skipModeCountsBadRows() throws IOException {
    Path csv = Files.writeString(tmp.resolve("ratings.csv"), CSV + "x,y,z,w\n3,20,9,1\n5,6,1.5,7\n");
    List<Rating> out = new ArrayList<>();
    MovieLensReader r = MovieLensReader.read(csv, true, (u, m, x, t) -> out.add(new Rating(u, m, x, t)));
    assertEquals(2, r.badRows());
    assertEquals(4, r.rows());
    assertEquals(new Rating(5, 6, 1.5f, 7), out.get(3));
  }

  @Test
  void moviesCsvHandlesQuotedTitles() throws IOException {
    Path f = Files.writeString(tmp.resolve("movies.csv"),
        "movieId,title,genres\n1,Toy Story (1995),Animation\n11,\"American President, The (1995)\",Comedy|Drama\n");
    Movies m = Movies.load(f);
    assertEquals("American President, The (1995)", m.title(11));
    assertEquals("movie 99", m.title(99));
  }

  @Test
  void syntheticDataHasTasteStructure() throws IOException {
    SyntheticMovieLens gen = new SyntheticMovieLens(300, 180, 40, 10, 5);
    long n = gen.write(tmp.resolve("syn"), null);
    List<Rating> all = readAll(tmp.resolve("syn/ratings.csv"));
    assertEquals(n, all.size());
    assertEquals(300, all.stream().mapToLong(Rating::userId).distinct().count());
    // a user's high ratings concentrate in few genres
    long user = 7;
    long genresOfLoved =
        all.stream().filter(r -> r.userId() == user && r.rating() >= 4.5f).map(r -> SyntheticMovieLens.genreOf(r.movieId())).distinct().count();
    long genresOfAll = all.stream().filter(r -> r.userId() == user).map(r -> SyntheticMovieLens.genreOf(r.movieId())).distinct().count();
    assertThat(genresOfLoved).isLessThan(genresOfAll);
    // every data row of the file is read
    assertEquals(Files.readAllLines(tmp.resolve("syn/ratings.csv")).size() - 1, all.size());
    // the same seed writes the same bytes, another seed other data
    new SyntheticMovieLens(300, 180, 40, 10, 5).write(tmp.resolve("again"), null);
    assertEquals(-1, Files.mismatch(tmp.resolve("syn/ratings.csv"), tmp.resolve("again/ratings.csv")));
    new SyntheticMovieLens(300, 180, 40, 10, 6).write(tmp.resolve("other"), null);
    assertNotEquals(all, readAll(tmp.resolve("other/ratings.csv")));
    assertEquals(180, Movies.load(tmp.resolve("syn/movies.csv")).size());
  }
}
