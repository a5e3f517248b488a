package dev.recsys.job;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Refuses the obvious collision of two jobs with one name on one checkpoint volume: they would
 * share a consumer group, transactional ids and checkpoints, and fence each other. The job holds a
 * lock on {@code <checkpoint dir>/<job name>/.running} while it runs. (Checkpoints in an object
 * store cannot be locked: there, names are the operator's to keep apart.)
 */
final class RunLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private RunLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static RunLock take(JobConfig c) throws IOException {
    String dir = c.checkpointDirectory();
    if (!dir.startsWith("file:")) {
      return new RunLock(null, null);
    }
    Path jobDir = Files.createDirectories(Path.of(URI.create(dir)));
    Path file = jobDir.resolve(".running");
    FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException sameJvm) {
      l = null;
    }
    if (l == null) {
      ch.close();
      throw new IllegalStateException("a job named '" + c.get(JobConfig.JOB_NAME) + "' is already running with checkpoints in " + jobDir
          + " (it holds " + file + "); give this one another job.name");
    }
    return new RunLock(ch, l);
  }

  @Override
  public void close() throws IOException {
    if (lock != null) {
      lock.release();
      channel.close();
    }
  }
}
