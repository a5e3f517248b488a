package dev.recsys.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.trainer.report.TrainingReport;
import dev.recsys.trainer.report.TrainingReportTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SummarizeCommandTest {

  @TempDir Path tmp;

  @Test
  void meanAndStdPerModelWithBaselinesOncePerSplit() throws Exception {
    write(tmp.resolve("a"), TrainingReportTest.vaeReport(0.3, "split-1"));
    write(tmp.resolve("b"), TrainingReportTest.vaeReport(0.4, "split-1"));
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, new CommandLine(new SummarizeCommand()).execute(tmp.resolve("a").toString(), tmp.resolve("b/report.json").toString()));
    } finally {
      System.setOut(stdout);
    }
    assertEquals(
        String.join(System.lineSeparator(),
            "| model | runs | NDCG@100 | Recall@20 | Recall@50 | heldOutRecall@20 | heldOutRecall@100 |",
            "|---|---|---|---|---|---|---|",
            "| Mult-VAE | 2 | 0.3500 ± 0.0707 | 0.3100 ± 0.0000 | 0.3200 ± 0.0000 | 0.2900 ± 0.0000 | 0.4500 ± 0.0000 |",
            "| popularity | 1 | 0.1000 ± 0.0000 | 0.1100 ± 0.0000 | 0.1200 ± 0.0000 | 0.1000 ± 0.0000 | 0.1600 ± 0.0000 |",
            "| ease | 1 | 0.4000 ± 0.0000 | 0.4100 ± 0.0000 | 0.4200 ± 0.0000 | 0.3900 ± 0.0000 | 0.5000 ± 0.0000 |",
            ""),
        buf.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aReportWithoutHeldOutRecallIsRefusedByName() throws Exception {
    ObjectMapper json = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode old = json.valueToTree(TrainingReportTest.vaeReport(0.3, "split-1"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) old.get("test")).remove(java.util.List.of("heldOutRecall@10", "heldOutRecall@20", "heldOutRecall@100"));
    Path file = tmp.resolve("old/report.json");
    Files.createDirectories(file.getParent());
    json.writeValue(file.toFile(), old);
    java.io.StringWriter err = new java.io.StringWriter();
    CommandLine cli = new CommandLine(new SummarizeCommand()).setErr(new java.io.PrintWriter(err));
    assertEquals(1, cli.execute(file.toString()));
    org.assertj.core.api.Assertions.assertThat(err.toString()).contains(file + ": not a complete report.json").contains("heldOutRecall@");
  }

  private static void write(Path dir, TrainingReport report) throws Exception {
    Files.createDirectories(dir);
    new ObjectMapper().writeValue(dir.resolve("report.json").toFile(), report);
  }
}
