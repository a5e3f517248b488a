package dev.recsys.model.bundle;

import java.nio.file.Path;

/** A model bundle that cannot be used, with the file at fault and the problem. */
public class BundleException extends RuntimeException {

  private final Path file;
  private final String problem;

  public BundleException(Path file, String problem) {
    this(file, problem, null);
  }

  public BundleException(Path file, String problem, Throwable cause) {
    super("bad model bundle: " + file + ": " + problem, cause);
    this.file = file;
    this.problem = problem;
  }

  /** What is wrong with the file, without the file's name. */
  public String problem() {
    return problem;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }
}
