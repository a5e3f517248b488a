package dev.recsys.model.movielens;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Movie titles from a MovieLens {@code movies.csv} ({@code movieId,title,genres}, RFC 4180 quoting). */
public final class Movies {

  /** A movie's title and genres. */
  public record Movie(long movieId, String title, String genres) {}

  private final Map<Long, Movie> byId;

  private Movies(Map<Long, Movie> byId) {
    this.byId = byId;
  }

  public static Movies empty() {
    return new Movies(Map.of());
  }

  public static Movies load(Path file) throws IOException {
    Map<Long, Movie> out = new HashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String header = r.readLine();
      if (header == null || !header.replace("\uFEFF", "").startsWith("movieId,title")) {
        throw new DataFormatException(file, 1, "expected header movieId,title,genres");
      }
      long lineNo = 1;
      for (String line; (line = r.readLine()) != null; ) {
        lineNo++;
        if (line.isEmpty()) {
          continue;
        }
        List<String> f = splitCsv(line);
        if (f.size() < 2) {
          throw new DataFormatException(file, lineNo, "expected movieId,title,genres");
        }
        try {
          long id = Long.parseLong(f.get(0).trim());
          out.put(id, new Movie(id, f.get(1), f.size() > 2 ? f.get(2) : ""));
        } catch (NumberFormatException e) {
          throw new DataFormatException(file, lineNo, "movieId is not a number: '" + f.get(0) + "'");
        }
      }
    }
    return new Movies(out);
  }

  /** The title, or {@code movie <id>} when unknown. */
  public String title(long movieId) {
    Movie m = byId.get(movieId);
    return m == null ? "movie " + movieId : m.title();
  }

  public Movie get(long movieId) {
    return byId.get(movieId);
  }

  public int size() {
    return byId.size();
  }

  static List<String> splitCsv(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
