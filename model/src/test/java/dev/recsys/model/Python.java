package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs a python3 script of the test resources, standard library only, to check files against an
 * implementation that shares no code with ours. Shared with the trainer's tests (test jar).
 * {@code .ci/run} installs python3; where it is still missing, the test is skipped, saying so.
 */
public final class Python {

  private Python() {}

  /** Skips the calling test when there is no python3 on the PATH. */
  public static void assumeAvailable() {
    boolean found;
    try {
      Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      found = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      found = false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      found = false;
    }
    Assumptions.assumeTrue(found, "python3 is not installed (.ci/run installs it): skipping the check against a Python implementation");
  }

  /**
   * Runs the script (a resource next to {@code anchor}) with these arguments and returns its
   * standard output; a non-zero exit fails the test with its standard error.
   */
  public static String run(Class<?> anchor, String script, Path workDir, String... args) throws Exception {
    Path file = workDir.resolve(script);
    try (InputStream in = anchor.getResourceAsStream(script)) {
      if (in == null) {
        throw new IllegalStateException("no resource " + script + " next to " + anchor.getName());
      }
      Files.write(file, in.readAllBytes());
    }
    List<String> cmd = new ArrayList<>(List.of("python3", file.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("python3 " + script + " did not finish");
    }
    assertEquals(0, p.exitValue(), () -> "python3 " + script + " failed: " + new String(err.join(), StandardCharsets.UTF_8));
    return new String(out.join(), StandardCharsets.UTF_8);
  }

  private static byte[] readAll(InputStream in) {
    try {
      return in.readAllBytes();
    } catch (IOException e) {
      return e.toString().getBytes(StandardCharsets.UTF_8);
    }
  }
}
