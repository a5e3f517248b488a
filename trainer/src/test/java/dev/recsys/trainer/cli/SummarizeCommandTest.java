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
            "| model | runs | NDCG@100 | Recall@20 | Recall@50 |",
            "|---|---|---|---|---|",
            "| Mult-VAE | 2 | 0.3500 ± 0.0707 | 0.3100 ± 0.0000 | 0.3200 ± 0.0000 |",
            "| popularity | 1 | 0.1000 ± 0.0000 | 0.1100 ± 0.0000 | 0.1200 ± 0.0000 |",
            "| ease | 1 | 0.4000 ± 0.0000 | 0.4100 ± 0.0000 | 0.4200 ± 0.0000 |",
            ""),
        buf.toString(StandardCharsets.UTF_8));
  }

  private static void write(Path dir, TrainingReport report) throws Exception {
    Files.createDirectories(dir);
    new ObjectMapper().writeValue(dir.resolve("report.json").toFile(), report);
  }
}
