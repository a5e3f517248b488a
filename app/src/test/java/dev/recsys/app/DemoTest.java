package dev.recsys.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A shortened demo, end to end: embedded Kafka, training, the Flink job, replay and a live v1 -> v2 swap. */
class DemoTest {

  @TempDir Path tmp;

  @Test
  void demoServesV1ThenV2WithoutRestart() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    Demo.Summary s = Demo.run(new Demo.Options(tmp.resolve("work"), null, null, null, null, 30, 150, 3, 600, 200, 3, 25, out));
    String log = buf.toString(StandardCharsets.UTF_8);
    assertEquals(List.of(1, 2), s.versionOrder(), log);
    assertThat(s.perVersion().get(1)).isPositive();
    assertThat(s.perVersion().get(2)).isPositive();
    // each version's online figures: events counted, and hits at 10 within those at 20 within those at 100
    assertThat(s.online()).containsKeys(1, 2);
    s.online().values().forEach(t -> {
      assertThat(t.events()).isPositive();
      assertThat(t.scores().hits10()).isLessThanOrEqualTo(t.scores().hits20());
      assertThat(t.scores().hits20()).isLessThanOrEqualTo(t.scores().hits100());
      assertThat(t.scores().hits100()).isLessThanOrEqualTo(t.events());
    });
    assertThat(log).contains("HitRate@10");
    assertThat(s.eventsSent()).isGreaterThan(500);
    assertThat(s.recommendations()).isGreaterThan(s.eventsSent() / 4);
    assertThat(s.p50()).isPositive();
    assertThat(log).contains(">>> first recommendation from v1").contains(">>> first recommendation from v2").contains("==> summary");
    assertTrue(Files.isDirectory(tmp.resolve("work/registry/movielens/v2")));
    assertTrue(Files.isRegularFile(tmp.resolve("work/train-v1/report.json")));
  }

  @Test
  void everySubcommandHasHelp() {
    CommandLine cli = new CommandLine(new RecsysCli());
    for (String sub : List.of("demo", "kafka", "topics", "replay", "tail", "dlq", "job", "train", "model", "split", "synth", "download", "summarize")) {
      assertEquals(0, cli.execute(sub, "--help"), sub);
    }
  }
}
