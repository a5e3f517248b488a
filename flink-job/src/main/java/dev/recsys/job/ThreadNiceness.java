package dev.recsys.job;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux niceness of the calling thread. Java has no call for it (thread priorities are ignored
 * without root), so the thread finds its own id where {@code /proc/thread-self} points and has
 * {@code renice} set it; raising one's own niceness needs no privilege.
 */
final class ThreadNiceness {

  private static final Logger LOG = LoggerFactory.getLogger(ThreadNiceness.class);
  private static final Path SELF = Path.of("/proc/thread-self");

  private ThreadNiceness() {}

  /** Sets the calling thread's niceness; where that cannot be done, says why in the log and leaves it. */
  static void set(int nice) {
    if (!Files.exists(SELF)) {
      LOG.warn("no {} (not Linux): the scoring threads keep the task's priority", SELF);
      return;
    }
    try {
      String tid = Files.readSymbolicLink(SELF).getFileName().toString();
      Process p = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        LOG.warn("renice -n {} of thread {} failed ({}): it keeps the task's priority", nice, tid, out);
      }
    } catch (IOException e) {
      LOG.warn("could not run renice ({}): the scoring threads keep the task's priority", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The calling thread's niceness, from {@code /proc/thread-self/stat} (field 19). */
  static int get() throws IOException {
    String stat = Files.readString(SELF.resolve("stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3
    return Integer.parseInt(f[16]);
  }
}
