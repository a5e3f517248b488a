package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import dev.recsys.model.scoring.ScoringMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class JobConfigTest {

  @TempDir Path tmp;

  @Test
  void clusterConfigurationThenFileThenSetThenFlags() throws Exception {
    JobConfig d = JobConfig.defaults();
    assertEquals(256, d.get(JobConfig.BATCH_SIZE));
    assertEquals(Duration.ofMillis(10), d.get(JobConfig.BATCH_TIMEOUT));
    assertEquals(Duration.ofMinutes(10), d.get(JobConfig.TX_TIMEOUT));

    // the operator's flinkConfiguration (or -D on flink run) reaches the job's options; Flink's own keys are not ours
    Configuration cluster = Configuration.fromMap(Map.of(
        "batch.size", "64", "scoring.top-k", "50", "model.name", "from-cluster",
        "kafka.client.security.protocol", "SASL_SSL", "taskmanager.numberOfTaskSlots", "4"));
    Path file = Files.writeString(tmp.resolve("job.properties"), "batch.size=48\nscoring.top-k=40\nkafka.client.sasl.jaas.config=secret\n");
    JobCommand cmd = new JobCommand();
    new CommandLine(cmd).parseArgs("--config", file.toString(), "--set", "batch.size=32", "-Dstate.ttl=0 ms", "--model-name", "flag");
    JobConfig c = cmd.config(cluster);
    assertEquals(32, c.get(JobConfig.BATCH_SIZE), "--set beats the file, which beats the cluster");
    assertEquals(40, c.get(JobConfig.TOP_K), "the file beats the cluster");
    assertEquals("flag", c.get(JobConfig.MODEL_NAME), "a dedicated flag beats everything");
    assertEquals(Duration.ZERO, c.get(JobConfig.STATE_TTL));
    assertEquals("SASL_SSL", c.kafkaClientProperties().getProperty("security.protocol"));
    assertEquals("secret", c.kafkaClientProperties().getProperty("sasl.jaas.config"));
    assertThat(c.effective()).doesNotContainKey("taskmanager.numberOfTaskSlots");
  }

  @Test
  void parallelismFollowsTheClustersDefaultUnlessTheJobSetsItsOwn() {
    assertEquals(1, JobConfig.from(new Configuration()).get(JobConfig.PARALLELISM));
    // the operator writes the FlinkDeployment's job.parallelism as parallelism.default
    assertEquals(4, JobConfig.from(Configuration.fromMap(Map.of("parallelism.default", "4"))).get(JobConfig.PARALLELISM));
    assertEquals(3, JobConfig.from(Configuration.fromMap(Map.of("parallelism.default", "4", "parallelism", "3"))).get(JobConfig.PARALLELISM));
  }

  @Test
  void refusesUnknownKeysBadValuesAndMisspelledEnums() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set("batch.sise", "3"));
    assertThat(e.getMessage()).contains("batch.sise");
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set("batch.size", "many")).getMessage())
        .contains("batch.size").contains("many");
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set("checkpoint.mode", "exactly-once")).getMessage())
        .contains("checkpoint.mode").contains("exactly-once");
    assertThat(assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set("kafka.starting-offsets", "yesterday")).getMessage())
        .contains("yesterday");
    assertEquals(CheckpointingMode.AT_LEAST_ONCE, JobConfig.defaults().set("checkpoint.mode", "at_least_once").get(JobConfig.CHECKPOINT_MODE));
    assertEquals(JobConfig.Delivery.AT_LEAST_ONCE, JobConfig.defaults().set("sink.delivery", "AT_LEAST_ONCE").get(JobConfig.SINK_DELIVERY));
  }

  @Test
  void validatesRangesAtStartUp() {
    for (String[] bad : new String[][] {{"state.history-cap", "-1"}, {"scoring.top-k", "0"}, {"batch.size", "0"},
        {"scoring.threads", "-1"}, {"parallelism", "0"}, {"scoring.two-stage.rank", "0"}, {"scoring.two-stage.candidates", "99"}, {"sink.transaction-timeout", "20 min"}, {"checkpoint.interval", "1 ms"}}) {
      JobConfig c = JobConfig.defaults().set(bad[0], bad[1]);
      assertThat(assertThrows(IllegalArgumentException.class, c::validate).getMessage()).as(bad[0]).contains(bad[0]);
    }
    JobConfig.defaults().validate();
  }

  @Test
  void scoringModeComesFromItsSettings() {
    assertEquals(ScoringMode.EXACT, JobConfig.defaults().validate().scoringMode());
    assertEquals(ScoringMode.twoStage(32, 250),
        JobConfig.defaults().set("scoring.mode", "two_stage").set("scoring.two-stage.rank", "32").set("scoring.two-stage.candidates", "250")
            .validate().scoringMode());
  }

  @Test
  void secretsAreMaskedInTheLog() {
    JobConfig c = JobConfig.defaults()
        .set("kafka.client.sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required password=\"hunter2\";")
        .set("kafka.client.ssl.keystore.key", "-----BEGIN PRIVATE KEY-----abc")
        .set("kafka.client.ssl.truststore.password", "hunter2")
        .set("kafka.client.sasl.oauthbearer.client.credentials.client.secret", "hunter2")
        .set("kafka.client.security.protocol", "SASL_SSL");
    Map<String, String> logged = c.effective();
    assertThat(logged.toString()).doesNotContain("hunter2").doesNotContain("PRIVATE KEY");
    assertEquals("SASL_SSL", logged.get("kafka.client.security.protocol"));
  }

  @Test
  void everySettingIsDocumentedInHelp() {
    String help = JobConfig.describe();
    for (ConfigOption<?> o : JobConfig.OPTIONS) {
      assertThat(help).contains(o.key());
      if (o.hasDefaultValue()) {
        assertThat(help).contains(JobConfig.text(o.defaultValue()));
      }
    }
    assertThat(help).contains("90 d").contains("exactly_once").contains("committed");
  }
}
