package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.List;
import java.util.Map;
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

  @Test
  void flinkImageRunsTheVectorApiOutputLayer() throws Exception {
    List<String> flink = Repo.dockerfileStage("flink");
    // Flink's image is built on a JRE, which has no incubator modules: a JDK's runtime replaces it
    int swap = indexOfFirst(flink, "COPY --from=eclipse-temurin:17-jdk-");
    assertThat(flink.get(swap)).endsWith(" /opt/java/openjdk /opt/java/openjdk");
    assertThat(flink.get(swap - 1)).isEqualTo("RUN rm -rf /opt/java/openjdk");
    assertThat(Repo.dockerfileStage("build").get(0)).contains("eclipse-temurin-17"); // the same major version builds the job
    int opts = flink.indexOf("ENV JDK_JAVA_OPTIONS=--add-modules=jdk.incubator.vector");
    int check = flink.indexOf("RUN java --list-modules | grep -q '^jdk.incubator.vector@'");
    // every JVM of the image adds the module, and the build fails where the runtime lacks it
    assertThat(swap).isLessThan(opts);
    assertThat(opts).isLessThan(check).isLessThan(indexOfFirst(flink, "RUN java -cp "));
  }

  @Test
  void imagesRunAsTheNonRootUserThePodsRunAsAndAreAmd64() throws Exception {
    assertThat(Repo.imageUid()).isEqualTo(Repo.FLINK_IMAGE_UID);
    List<String> cli = Repo.dockerfileStage("recsys");
    assertThat(cli.stream().filter(l -> l.startsWith("USER ")).toList()).containsExactly("USER recsys");
    assertThat(String.join("\n", cli)).contains("useradd --system --uid " + Repo.FLINK_IMAGE_UID + " --gid recsys")
        .contains("groupadd --system --gid " + Repo.FLINK_IMAGE_UID + " recsys")
        .containsPattern("chown recsys:recsys /registry \\S+ /work"); // the volumes it writes
    // libtorch is x86-64: the runtime images are pinned to it; the Java build runs natively
    List<String> froms = Files.readAllLines(Repo.ROOT.resolve("Dockerfile")).stream().filter(l -> l.startsWith("FROM ")).toList();
    assertThat(froms).hasSize(3);
    assertThat(froms.get(0)).startsWith("FROM --platform=$BUILDPLATFORM ").endsWith(" AS build");
    assertThat(froms.subList(1, 3)).allMatch(l -> l.startsWith("FROM --platform=linux/amd64 "));
    assertThat(matches("flink-job/target/flink-lib/pytorch-native-cpu-*-linux-x86_64.jar")).hasSize(1);
  }

  @Test
  void libtorchIsUnpackedAtImageBuildTimeSoAStartWritesNothing() throws Exception {
    for (String stage : List.of("recsys", "flink")) {
      List<String> lines = Repo.dockerfileStage(stage);
      int unpack = indexOfFirst(lines, "RUN java -cp ");
      assertThat(lines.get(unpack)).as(stage).endsWith(" dev.recsys.model.DjlRuntime");
      // as the user the containers run as, after DJL_CACHE_DIR is set
      assertThat(lines.subList(0, unpack).stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b)).as(stage)
          .hasValueSatisfying(u -> assertThat(u).isNotEqualTo("USER root"));
      assertThat(String.join("\n", lines.subList(0, unpack))).as(stage).contains("DJL_CACHE_DIR=").contains("DJL_OFFLINE=true");
    }
    // the Flink image's classpath: lib/ (DJL; slf4j comes with Flink's own jars) and the job jar
    String slf4j = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> Path.of(e).getFileName().toString().startsWith("slf4j-api-")).findFirst().orElseThrow();
    String classpath = Repo.ROOT.resolve("flink-job/target/flink-lib") + "/*" + File.pathSeparator
        + matches("flink-job/target/recsys-flink-job-*-cluster.jar").get(0) + File.pathSeparator + slf4j;
    Path cache = tmp.resolve("djl-cache");
    String first = unpack(classpath, cache);
    assertThat(first).contains("PyTorch 2.7.1 ready in " + cache.resolve("pytorch"));
    Map<Path, String> unpacked = snapshot(cache);
    assertThat(unpacked.keySet()).anyMatch(f -> f.getFileName().toString().startsWith("libtorch"));
    // a second start (as every task manager's) finds it and changes nothing in the cache
    unpack(classpath, cache);
    assertThat(snapshot(cache)).isEqualTo(unpacked);
    // nothing mounts a cache over the unpacked one any more
    assertThat(Files.readString(Repo.ROOT.resolve("docker-compose.yml"))).doesNotContain("djl-cache");
    assertThat(Files.readString(Repo.ROOT.resolve("helm/recsys/templates/flinkdeployment.yaml"))).doesNotContain("djl-cache");
  }

  private static String unpack(String classpath, Path cache) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-cp", classpath,
        "dev.recsys.model.DjlRuntime").redirectErrorStream(true);
    pb.environment().put("DJL_CACHE_DIR", cache.toString());
    pb.environment().put("DJL_OFFLINE", "true");
    pb.environment().remove("ENGINE_CACHE_DIR");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  /** Every file under dir with its size and modification time. */
  private static Map<Path, String> snapshot(Path dir) throws Exception {
    Map<Path, String> out = new java.util.TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.toList()) {
        out.put(dir.relativize(f), Files.isDirectory(f) ? "dir " + Files.getLastModifiedTime(f)
            : Files.size(f) + " " + Files.getLastModifiedTime(f));
      }
    }
    return out;
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
