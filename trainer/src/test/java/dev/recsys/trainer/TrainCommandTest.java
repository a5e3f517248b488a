package dev.recsys.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.cli.SplitCommand;
import dev.recsys.trainer.cli.SynthCommand;
import dev.recsys.trainer.cli.TrainCommand;
import dev.recsys.trainer.data.SplitIO;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The train CLI's stable contract: scripts rely on these flags and on report.json's shape. */
class TrainCommandTest {

  @TempDir Path tmp;

  @Test
  void trainFromSplitWritesTheReportContractAndPublishes() throws Exception {
    SplitIO.write(tmp.resolve("split"), TestData.split(tmp.resolve("raw"), 500, 150, 50, 2));
    Path out = tmp.resolve("out");
    int code =
        new CommandLine(new TrainCommand())
            .execute("--split", tmp.resolve("split").toString(), "--model", "dae", "--out", out.toString(), "--epochs", "3",
                "--batch-size", "100", "--ease-lambdas", "10,100", "--no-progress", "--device", "cpu",
                "--publish", "--registry", tmp.resolve("reg").toString(), "--name", "ml");
    assertEquals(0, code);
    JsonNode r = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    assertEquals("dae", r.get("model").asText());
    for (String m : new String[] {"ndcg@100", "recall@20", "recall@50", "heldOutRecall@10", "heldOutRecall@20", "heldOutRecall@100"}) {
      double v = r.get("test").get(m).asDouble();
      assertTrue(v > 0 && v <= 1, m + "=" + v);
      assertTrue(r.get("baselines").get("popularity").get(m).asDouble() > 0);
      assertTrue(r.get("baselines").get("ease").get(m).asDouble() > 0);
    }
    assertEquals(3, r.get("history").size());
    assertEquals(0.01 / 100, r.get("config").get("l2").asDouble(), 1e-15, "the DAE's L2 follows --batch-size");
    assertEquals(2, r.get("baselines").get("ease").get("lambdaGrid").size());
    assertEquals(150, r.get("data").get("items").asInt());
    assertTrue(Files.size(out.resolve("loss.png")) > 1000);
    assertTrue(Files.size(out.resolve("validation.png")) > 1000);
    assertTrue(Files.readString(out.resolve("report.md")).contains("| EASE"));
    ModelBundle published = ModelBundle.load(tmp.resolve("reg/ml/v1"));
    assertEquals(r.get("test").get("ndcg@100").asDouble(), published.manifest().metrics().get("test.ndcg@100"), 1e-12);
    assertEquals(r.get("test").get("heldOutRecall@20").asDouble(), published.manifest().metrics().get("test.heldOutRecall@20"), 1e-12);
    // a share of all the held-out items can only be smaller than the paper's share of min(K, held-out)
    assertTrue(r.get("test").get("heldOutRecall@20").asDouble() <= r.get("test").get("recall@20").asDouble());
  }

  @Test
  void everyAnnouncingCommandTakesAClientConfigFileAndNeverShowsItsValues() throws Exception {
    Path cfg = Files.writeString(tmp.resolve("client.properties"), "ssl.keystore.password=hunter2-FAKE\n");
    for (String[] sub : new String[][] {{"publish"}, {"promote"}, {"rollback"}, {}}) {
      StringWriter help = new StringWriter();
      Object cmd = sub.length == 0 ? new TrainCommand() : new ModelCommand();
      String[] args = Stream.concat(Arrays.stream(sub), Stream.of("--client-config", cfg.toString(), "--help")).toArray(String[]::new);
      assertEquals(0, new CommandLine(cmd).setOut(new PrintWriter(help, true)).execute(args), String.join(" ", args));
      assertTrue(help.toString().contains("--client-config=FILE"), help.toString());
      assertFalse(help.toString().contains("hunter2-FAKE"), help.toString());
    }
  }

  @Test
  void everyCommandHasHelp() {
    for (Object cmd : new Object[] {new TrainCommand(), new ModelCommand(), new SplitCommand(), new SynthCommand()}) {
      CommandLine cli = new CommandLine(cmd);
      assertEquals(0, cli.execute("--help"), cmd.getClass().getSimpleName());
    }
  }
}
