package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {

  @TempDir Path tmp;

  @Test
  void defaultsFileAndOverridesLayerInThatOrder() throws Exception {
    JobConfig d = JobConfig.defaults();
    assertEquals(256, d.getInt(JobConfig.BATCH_SIZE));
    assertEquals(Duration.ofMillis(20), d.getDuration(JobConfig.BATCH_TIMEOUT));
    assertEquals(Duration.ofMinutes(10), d.getDuration(JobConfig.TX_TIMEOUT));
    assertThat(d.getDuration(JobConfig.TX_TIMEOUT)).isLessThan(Duration.ofMinutes(15)); // the broker's maximum

    Path file = Files.writeString(tmp.resolve("job.properties"),
        "batch.size=64\nkafka.client.security.protocol=SASL_SSL\nkafka.client.sasl.jaas.config=secret\n");
    JobConfig c = JobConfig.load(file).set("batch.size", "32").set(JobConfig.STATE_TTL, "0 ms");
    assertEquals(32, c.getInt(JobConfig.BATCH_SIZE));
    assertEquals(Duration.ZERO, c.getDuration(JobConfig.STATE_TTL));
    assertEquals("SASL_SSL", c.kafkaClientProperties().getProperty("security.protocol"));
    assertEquals("***", c.effective().get("kafka.client.sasl.jaas.config"), "secrets stay out of the log");
  }

  @Test
  void refusesUnknownKeysAndBadValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JobConfig.defaults().set("batch.sise", "3"));
    assertThat(e.getMessage()).contains("batch.sise");
    JobConfig c = JobConfig.defaults().set(JobConfig.BATCH_SIZE, "many");
    assertThat(assertThrows(IllegalArgumentException.class, () -> c.getInt(JobConfig.BATCH_SIZE)).getMessage()).contains("batch.size");
    assertThat(assertThrows(IllegalArgumentException.class, () -> KafkaIO.startingOffsets("yesterday")).getMessage()).contains("yesterday");
  }

  @Test
  void everySettingIsDocumentedInHelp() {
    String help = JobConfig.describe();
    for (JobConfig.Key k : JobConfig.KEYS) {
      assertThat(help).contains(k.name()).contains(k.defaultValue());
    }
  }
}
