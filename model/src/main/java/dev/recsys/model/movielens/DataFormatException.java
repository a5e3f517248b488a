package dev.recsys.model.movielens;

import java.nio.file.Path;

/** A malformed line in a data file: names the file and the 1-based line number. */
public class DataFormatException extends RuntimeException {

  private final Path file;
  private final long line;

  public DataFormatException(Path file, long line, String problem) {
    super(file + ":" + line + ": " + problem);
    this.file = file;
    this.line = line;
  }

  public Path file() {
    return file;
  }

  public long line() {
    return line;
  }
}
