package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Dockerfile copies into the images exists after the build, and the CLI image's entry
 * script starts the CLI from the image's layout. (No Docker engine here: the images themselves are
 * not built by the tests; flink-job's ClusterJarIT runs the Flink image's lib/ + usrlib/ layout.)
 */
class ImagesTest {

  @TempDir Path tmp;

  @Test
  void everyBuildOutputTheImagesCopyExists() throws Exception {
    List<String[]> copies = Repo.dockerfileCopies();
    assertThat(copies).extracting(c -> c[1]).contains("/opt/flink/lib/", "/opt/flink/usrlib/recsys-job.jar", "/opt/recsys/lib/");
    for (String[] c : copies) {
      if (c[0].equals("app/target/lib/")) {
        continue; // made by -Pdist, which only the image build uses; the test below stands in for it
      }
      assertThat(matches(c[0])).as("build output %s (copied to %s)", c[0], c[1]).isNotEmpty();
    }
    assertThat(matches("flink-job/target/flink-lib/pytorch-native-cpu-*.jar")).hasSize(1);
  }

  @Test
  void flinkImageSetsUpAsRootAndRunsAsFlink() throws Exception {
    List<String> lines = Files.readAllLines(Repo.ROOT.resolve("Dockerfile"));
    List<String> flinkStage = lines.subList(lines.indexOf(lines.stream().filter(l -> l.endsWith(" AS flink")).findFirst().orElseThrow()),
        lines.size());
    List<String> users = flinkStage.stream().filter(l -> l.startsWith("USER ")).toList();
    // the base image ends as USER flink and its entry point does not drop privileges
    assertThat(users).containsExactly("USER root", "USER flink");
    assertThat(flinkStage.indexOf("USER root")).isLessThan(indexOfFirst(flinkStage, "COPY ")).isLessThan(indexOfFirst(flinkStage, "RUN "));
  }

  private static int indexOfFirst(List<String> lines, String prefix) {
    return lines.indexOf(lines.stream().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow());
  }

  @Test
  void cliEntryScriptRunsTheCliFromTheImageLayout() throws Exception {
    // /opt/recsys/lib as the image has it: the CLI's runtime jars and the CLI itself
    Path home = tmp.resolve("opt/recsys");
    Path lib = Files.createDirectories(home.resolve("lib"));
    String classpath = Files.readString(Repo.ROOT.resolve("app/target/classpath.txt")).trim();
    for (String jar : classpath.split(File.pathSeparator)) {
      Files.createSymbolicLink(lib.resolve(Path.of(jar).getFileName()), Path.of(jar));
    }
    for (Path app : matches("app/target/recsys-app-*.jar")) {
      Files.createSymbolicLink(lib.resolve(app.getFileName()), app);
    }
    Path registry = Files.createDirectories(tmp.resolve("registry"));
    ProcessBuilder pb = new ProcessBuilder("sh", Repo.ROOT.resolve("docker/recsys").toString(), "model", "list")
        .redirectErrorStream(true);
    pb.environment().put("RECSYS_HOME", home.toString());
    pb.environment().put("RECSYS_REGISTRY", registry.toString());
    pb.environment().put("RECSYS_JAVA_OPTS", "-Xmx256m");
    pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("no versions of 'movielens' in " + registry);
  }

  private static List<Path> matches(String glob) throws Exception {
    Path rel = Path.of(glob);
    Path dir = Repo.ROOT.resolve(rel.getParent() == null ? "" : rel.getParent().toString());
    if (glob.endsWith("/")) {
      return Files.isDirectory(dir.resolve(rel.getFileName())) ? List.of(dir.resolve(rel.getFileName())) : List.of();
    }
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + rel.getFileName());
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> m.matches(f.getFileName())).toList();
    }
  }
}
