package dev.recsys.app.bench;

import dev.recsys.app.RecsysCli;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A {@code recsys} subcommand in a JVM of its own (the broker, the job), as a user runs them: so
 * that each process's CPU can be accounted for apart. It gets this JVM's classpath and flags.
 */
final class ChildJvm implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private ChildJvm(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code recsys <args>} with {@code heap} (e.g. 1g), logging to {@code log}. */
  static ChildJvm start(String name, String heap, Path log, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-Xmx") && !a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
        cmd.add(a);
      }
    }
    cmd.add("-Xmx" + heap);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(RecsysCli.class.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ChildJvm(name, p, log);
  }

  long pid() {
    return process.pid();
  }

  /** Its log: standard output and error. */
  Path log() {
    return log;
  }

  /** Waits until a line of its log matches, failing loudly if it exits or takes too long. */
  void awaitLog(Predicate<String> line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(line)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException(name + " did not get ready within " + timeout.toSeconds() + " s; see " + log);
  }

  /** {@code kill -9}: no shutdown hooks, no goodbye. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the process: connections stay open and go silent, like a partition. */
  void signal(String sig) throws IOException, InterruptedException {
    int rc = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed with " + rc);
    }
  }

  static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  void checkAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
