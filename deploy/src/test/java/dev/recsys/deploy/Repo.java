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

  /** The uid and gid of Flink's user in the official Flink image (flink-docker: useradd --uid=9999). */
  static final int FLINK_IMAGE_UID = 9999;

  /** The uid the CLI image runs as: its {@code useradd --uid}, which must be Flink's. */
  static int imageUid() throws IOException {
    Matcher m = Pattern.compile("useradd [^\\n]*--uid (\\d+)").matcher(Files.readString(ROOT.resolve("Dockerfile")));
    if (!m.find()) {
      throw new AssertionError("the Dockerfile creates no user with a fixed uid");
    }
    return Integer.parseInt(m.group(1));
  }

  /** The lines of one stage of the Dockerfile, from its FROM to the next. */
  static List<String> dockerfileStage(String name) throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve("Dockerfile"));
    int from = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("FROM ")) {
        if (from >= 0) {
          return lines.subList(from, i);
        }
        if (lines.get(i).endsWith(" AS " + name)) {
          from = i;
        }
      }
    }
    if (from < 0) {
      throw new AssertionError("no stage " + name);
    }
    return lines.subList(from, lines.size());
  }

  /** The Dockerfile's stage names ({@code FROM ... AS name}). */
  static List<String> dockerfileStages() throws IOException {
    return Files.readAllLines(ROOT.resolve("Dockerfile")).stream()
        .filter(l -> l.startsWith("FROM "))
        .map(l -> l.replaceAll("^FROM (?:--platform=\\S+ )?\\S+ AS (\\S+)$", "$1"))
        .toList();
  }
}
