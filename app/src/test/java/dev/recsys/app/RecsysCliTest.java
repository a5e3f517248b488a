package dev.recsys.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecsysCliTest {

  @TempDir Path registry;

  private record Failure(int code, List<String> lines) {}

  private static Failure run(String... args) {
    StringWriter err = new StringWriter();
    int code = RecsysCli.commandLine().setErr(new PrintWriter(err, true)).execute(args);
    return new Failure(code, err.toString().lines().toList());
  }

  @Test
  void aFailingCommandPrintsOneLineAndExitsWithOne() {
    Failure f = run("model", "promote", "--version", "9", "--registry", registry.toString());
    assertEquals(1, f.code());
    assertEquals(1, f.lines().size(), f.lines().toString());
    assertThat(f.lines()).noneMatch(l -> l.startsWith("\tat "));
    assertThat(f.lines().get(0)).startsWith("recsys model promote: model 'movielens' has no version 9 in ").doesNotContain("Exception");
  }

  @Test
  void verboseAddsTheStackTrace() {
    Failure f = run("model", "promote", "--version", "9", "--registry", registry.toString(), "--verbose");
    assertEquals(1, f.code());
    assertThat(f.lines().get(0)).startsWith("recsys model promote: model 'movielens' has no version 9");
    assertThat(f.lines()).anyMatch(l -> l.startsWith("java.lang.IllegalArgumentException: model 'movielens' has no version 9"))
        .anyMatch(l -> l.startsWith("\tat dev.recsys.model.registry.ModelRegistry.version("));
  }

  @Test
  void theReasonNamesCausesThatAddSomethingOnOneLine() {
    Exception e = new IllegalStateException("cannot announce\nv3", new NoSuchFileException("/x/client.properties"));
    assertEquals("cannot announce v3: NoSuchFileException: /x/client.properties", RecsysCli.reason(e));
    assertEquals("boom", RecsysCli.reason(new ExecutionException(new IllegalStateException("boom"))));
  }

  /** Every command's --help formats: picocli warns on stderr, and prints the raw text, when a description holds a bare '%'. */
  @Test
  void everyCommandsHelpFormats() {
    java.io.PrintStream stderr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    List<String> commands = new java.util.ArrayList<>();
    try {
      System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
      usageOfAll(RecsysCli.commandLine(), commands);
    } finally {
      System.setErr(stderr);
    }
    assertThat(commands).contains("recsys bench job", "recsys bench two-stage", "recsys model promote");
    assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
  }

  private static void usageOfAll(picocli.CommandLine cmd, List<String> seen) {
    seen.add(cmd.getCommandSpec().qualifiedName());
    assertThat(cmd.getUsageMessage()).as(cmd.getCommandSpec().qualifiedName()).contains("Usage:");
    cmd.getSubcommands().values().forEach(sub -> usageOfAll(sub, seen));
  }
}
