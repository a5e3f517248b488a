package dev.recsys.model.movielens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MovieLensReaderTest {

  @TempDir Path tmp;

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
    assertEquals(readAll(tmp.resolve("syn/ratings.csv")), all); // deterministic
    assertEquals(180, Movies.load(tmp.resolve("syn/movies.csv")).size());
  }
}
