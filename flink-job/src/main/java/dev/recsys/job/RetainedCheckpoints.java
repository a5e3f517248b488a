package dev.recsys.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds the newest complete checkpoint under a checkpoint directory, so that a job restarted
 * without high availability (a Docker Compose job manager, say) resumes its state instead of
 * starting empty. Flink writes checkpoints to {@code <dir>/<job id>/chk-<n>/}; one is complete
 * once its {@code _metadata} file exists, and with retention on cancel it outlives the job.
 */
public final class RetainedCheckpoints {

  private RetainedCheckpoints() {}

  /**
   * The newest complete checkpoint under {@code dir} (a path or a {@code file:} URI; either the
   * checkpoint root or one job's directory), by the time its metadata was written.
   */
  public static Optional<Path> latest(String dir) {
    Path root = dir.startsWith("file:") ? Path.of(URI.create(dir)) : Path.of(dir);
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    try (Stream<Path> files = Files.walk(root, 3)) {
      return files
          .filter(p -> p.getFileName().toString().equals("_metadata"))
          .map(Path::getParent)
          .filter(p -> p.getFileName().toString().startsWith("chk-"))
          .max(Comparator.comparing(RetainedCheckpoints::written).thenComparingInt(RetainedCheckpoints::number));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot search " + root + " for checkpoints", e);
    }
  }

  private static FileTime written(Path checkpoint) {
    try {
      return Files.getLastModifiedTime(checkpoint.resolve("_metadata"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int number(Path checkpoint) {
    try {
      return Integer.parseInt(checkpoint.getFileName().toString().substring(4));
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
