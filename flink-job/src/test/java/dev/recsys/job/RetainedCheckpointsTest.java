package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetainedCheckpointsTest {

  @TempDir Path root;

  private Path checkpoint(String job, int n, Instant written) throws Exception {
    Path dir = Files.createDirectories(root.resolve(job).resolve("chk-" + n));
    Path meta = Files.writeString(dir.resolve("_metadata"), "m");
    Files.setLastModifiedTime(meta, FileTime.from(written));
    return dir;
  }

  @Test
  void picksTheNewestCompleteCheckpointAcrossJobs() throws Exception {
    Instant t = Instant.parse("2026-11-27T00:00:00Z");
    checkpoint("job-a", 41, t);
    Path newest = checkpoint("job-b", 3, t.plusSeconds(60)); // a restarted job counts from 1 again
    checkpoint("job-b", 2, t.plusSeconds(30));
    Files.createDirectories(root.resolve("job-b/chk-4")); // being written when the job died: no _metadata
    Files.createDirectories(root.resolve("job-b/shared"));
    assertThat(RetainedCheckpoints.latest(root.toString())).contains(newest);
    assertThat(RetainedCheckpoints.latest(root.toUri().toString())).contains(newest);
    assertThat(RetainedCheckpoints.latest(root.resolve("job-a").toString())).contains(root.resolve("job-a/chk-41"));
  }

  @Test
  void nothingToResumeFromMeansAnEmptyStart() throws Exception {
    assertThat(RetainedCheckpoints.latest(root.resolve("missing").toString())).isEmpty();
    Files.createDirectories(root.resolve("job/chk-1"));
    assertThat(RetainedCheckpoints.latest(root.toString())).isEmpty();
  }

  @Test
  void anExplicitRestoreWinsOverTheNewestCheckpoint() throws Exception {
    Path found = checkpoint("recsys/job", 7, Instant.now());
    JobCommand cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs("--restore-latest", root.toString());
    assertThat(cmd.restorePath("recsys")).isEqualTo(found.toUri().toString());
    cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs("--restore-latest", root.toString(), "--restore", "/savepoints/sp-1");
    assertThat(cmd.restorePath("recsys")).isEqualTo("/savepoints/sp-1");
  }

  @Test
  void restoreLatestOnlyEverPicksThisJobsCheckpoints() throws Exception {
    Instant t = Instant.parse("2026-11-27T00:00:00Z");
    Path mine = checkpoint("scoring-a/8c1f", 12, t);
    checkpoint("scoring-b/77aa", 40, t.plusSeconds(600)); // another job's, newer
    JobCommand cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs("--restore-latest", root.toString());
    assertThat(cmd.restorePath("scoring-a")).isEqualTo(mine.toUri().toString());
    assertThat(cmd.restorePath("scoring-c")).as("no checkpoint of its own: an empty start").isNull();
  }
}
