package dev.recsys.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The repository's deployment files, as the tests read them. */
final class Repo {

  /** The repository root (tests run in deploy/). */
  static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  private static final Pattern COPY_FROM_BUILD = Pattern.compile("^COPY --from=build (?:--chown=\\S+ )?/src/(\\S+) (\\S+)$");

  private Repo() {}

  /** {@code COPY --from=build} lines of the Dockerfile: {source relative to the repository, destination}. */
  static List<String[]> dockerfileCopies() throws IOException {
    return Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
        .map(COPY_FROM_BUILD::matcher)
        .filter(Matcher::matches)
        .map(m -> new String[] {m.group(1), m.group(2)})
        .toList();
  }

  /** Where the Flink image puts the job jar. */
  static String dockerfileFlinkJobJar() throws IOException {
    return dockerfileCopies().stream().filter(c -> c[0].endsWith("-cluster.jar")).map(c -> c[1]).findFirst().orElseThrow();
  }

  /** The Dockerfile's stage names ({@code FROM ... AS name}). */
  static List<String> dockerfileStages() throws IOException {
    return Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
        .filter(l -> l.startsWith("FROM "))
        .map(l -> l.replaceAll("^FROM \\S+ AS (\\S+)$", "$1"))
        .toList();
  }
}
