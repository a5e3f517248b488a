package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.RatingEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;

/** The job's guards against inputs and settings that would otherwise loop, collide or pin state. */
class JobSafetyTest {

  @TempDir Path tmp;

  @Test
  void aRatingFromTheFarFutureIsADeadLetterAndOneFromNowPasses() throws Exception {
    try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new ParseRatings(Duration.ofDays(1)))) {
      long now = System.currentTimeMillis();
      h.processElement(raw(new RatingEvent(1, 2, 4.0, Long.MAX_VALUE), 0), 0);
      h.processElement(raw(new RatingEvent(1, 2, 4.0, now + Duration.ofDays(2).toMillis()), 1), 0);
      h.processElement(raw(new RatingEvent(1, 2, 4.0, now + Duration.ofHours(1).toMillis()), 2), 0);
      h.processElement(raw(new RatingEvent(1, 2, 4.0, now), 3), 0);
      assertEquals(List.of(2L, 3L), h.extractOutputValues().stream().map(Rating::offset).toList());
      List<DeadLetterEvent> dead = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
      assertEquals(List.of(0L, 1L), dead.stream().map(DeadLetterEvent::offset).toList());
      assertThat(dead.get(0).error()).contains("ahead of the job's clock").contains("ratings.max-future");
    }
  }

  @Test
  void twoJobsGetTheirOwnGroupTransactionalIdsAndCheckpointsFromTheirNames() {
    JobConfig a = JobConfig.defaults().set(JobConfig.CHECKPOINT_DIR, tmp.toString()).set(JobConfig.JOB_NAME, "scoring-a");
    JobConfig b = JobConfig.defaults().set(JobConfig.CHECKPOINT_DIR, tmp.toString()).set(JobConfig.JOB_NAME, "scoring-b");
    assertEquals("scoring-a", a.group());
    assertEquals("scoring-a-recommendations", a.transactionalIdPrefix());
    assertEquals(tmp.toUri() + "scoring-a", a.checkpointDirectory());
    assertThat(b.group()).isNotEqualTo(a.group());
    assertThat(b.transactionalIdPrefix()).isNotEqualTo(a.transactionalIdPrefix());
    assertThat(b.checkpointDirectory()).isNotEqualTo(a.checkpointDirectory());
    // explicit settings still win
    assertEquals("g", a.set("kafka.group", "g").group());
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set(JobConfig.JOB_NAME, "../x").validate()).getMessage())
        .contains("job.name");
  }

  @Test
  void aSecondJobOfTheSameNameOnTheSameCheckpointsIsRefused() throws Exception {
    JobConfig c = JobConfig.defaults().set(JobConfig.CHECKPOINT_DIR, tmp.toString()).set(JobConfig.JOB_NAME, "twin");
    try (RunLock first = RunLock.take(c)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> RunLock.take(c));
      assertThat(e.getMessage()).contains("'twin' is already running").contains("job.name");
      try (RunLock other = RunLock.take(JobConfig.defaults().set(JobConfig.CHECKPOINT_DIR, tmp.toString()).set(JobConfig.JOB_NAME, "other"))) {
        assertThat(Files.exists(tmp.resolve("other/.running"))).isTrue();
      }
    }
    try (RunLock again = RunLock.take(c)) {
      assertThat(again).as("free again once the first job stopped").isNotNull();
    }
  }

  @Test
  void restartsAreBoundedWithBackoff() {
    Configuration f = JobEnvironment.configuration(JobConfig.defaults().set(JobConfig.RESTART_ATTEMPTS, 3), true);
    assertEquals("exponential-delay", f.get(RestartStrategyOptions.RESTART_STRATEGY));
    assertEquals(3, f.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS));
    assertEquals(Duration.ofSeconds(1), f.get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF));
    assertEquals(10, (int) JobEnvironment.configuration(JobConfig.defaults(), true).get(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS));
  }

  @Test
  void rocksDbLeavesTheLevelsACheckpointFlushesUncompressedUnlessTheUserChoosesOtherwise() {
    assertEquals(List.of(CompressionType.NO_COMPRESSION, CompressionType.NO_COMPRESSION, CompressionType.LZ4_COMPRESSION),
        JobEnvironment.configuration(JobConfig.defaults(), true).get(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL));
    JobConfig c = JobConfig.defaults();
    c.setFlinkProperty("state.backend.rocksdb.compression.per.level", "ZSTD_COMPRESSION");
    assertEquals(List.of(CompressionType.ZSTD_COMPRESSION), JobEnvironment.configuration(c, true).get(RocksDBConfigurableOptions.COMPRESSION_PER_LEVEL));
  }

  @Test
  void theEmbeddedClusterKeepsAChangelogBesideTheCheckpointsAndAClusterDecidesForItself() {
    JobConfig c = JobConfig.defaults().set(JobConfig.CHECKPOINT_DIR, tmp.toString());
    Configuration embedded = JobEnvironment.configuration(c, true);
    assertEquals(true, embedded.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG));
    assertEquals("filesystem", embedded.get(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE));
    assertEquals(tmp.toUri() + "recsys", embedded.get(JobEnvironment.CHANGELOG_BASE_PATH));
    assertEquals(MemorySize.ofMebiBytes(1), embedded.get(JobEnvironment.CHANGELOG_PREEMPTIVE_PERSIST));
    // a cluster's task managers read the storage from their own configuration: none of it is set here
    Configuration cluster = JobEnvironment.configuration(c, false);
    assertThat(cluster.toMap()).doesNotContainKeys("state.changelog.enabled", "state.changelog.storage", "state.changelog.dstl.dfs.base-path",
        "state.changelog.dstl.dfs.preemptive-persist-threshold");
    JobConfig off = JobConfig.defaults();
    off.setFlinkProperty("state.changelog.enabled", "false");
    assertEquals(false, JobEnvironment.configuration(off, true).get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG));
  }

  @Test
  void aRestoreWithTheChangelogClaimsTheSnapshotUnlessTheUserChoseAMode() {
    String snapshot = tmp.resolve("chk-7").toUri().toString();
    Configuration on = (Configuration) JobEnvironment.create(JobConfig.defaults(), snapshot).getConfiguration();
    assertEquals(snapshot, on.get(StateRecoveryOptions.SAVEPOINT_PATH));
    assertEquals(RecoveryClaimMode.CLAIM, on.get(StateRecoveryOptions.RESTORE_MODE));
    JobConfig off = JobConfig.defaults();
    off.setFlinkProperty("state.changelog.enabled", "false");
    assertThat(((Configuration) JobEnvironment.create(off, snapshot).getConfiguration()).contains(StateRecoveryOptions.RESTORE_MODE))
        .as("RocksDB alone keeps Flink's default, NO_CLAIM").isFalse();
    JobConfig chosen = JobConfig.defaults();
    chosen.setFlinkProperty("execution.state-recovery.claim-mode", "NO_CLAIM");
    assertEquals(RecoveryClaimMode.NO_CLAIM, ((Configuration) JobEnvironment.create(chosen, snapshot).getConfiguration()).get(StateRecoveryOptions.RESTORE_MODE));
    assertThat(((Configuration) JobEnvironment.create(JobConfig.defaults(), null).getConfiguration()).contains(StateRecoveryOptions.RESTORE_MODE)).isFalse();
  }

  @Test
  void checkpointsAreIncrementalUnlessTheUserChoosesFullOnes() {
    assertEquals(true, JobEnvironment.configuration(JobConfig.defaults(), true).get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS));
    JobConfig c = JobConfig.defaults();
    c.setFlinkProperty("execution.checkpointing.incremental", "false");
    assertEquals(false, JobEnvironment.configuration(c, true).get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS));
  }

  @Test
  void kafkaClientPropertiesComeFromAFileAndStayMasked() throws Exception {
    Path file = Files.writeString(tmp.resolve("client.properties"),
        "security.protocol=SASL_SSL\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"hunter2-FAKE\";\n");
    JobCommand cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs("--client-config", file.toString());
    JobConfig c = cmd.config();
    assertEquals("SASL_SSL", c.kafkaClientProperties().getProperty("security.protocol"));
    assertThat(c.kafkaClientProperties().getProperty("sasl.jaas.config")).contains("hunter2-FAKE");
    assertThat(c.effective().toString()).doesNotContain("hunter2-FAKE");
    java.io.StringWriter help = new java.io.StringWriter();
    new picocli.CommandLine(new JobCommand()).usage(new java.io.PrintWriter(help));
    assertThat(help.toString()).contains("--client-config").doesNotContain("hunter2-FAKE");
  }

  private static RawRecord raw(RatingEvent e, long offset) {
    return new RawRecord("ratings", 0, offset, 0, JsonCodec.RATING.encode(e));
  }
}
