package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.recsys.app.RecsysCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;

/**
 * Runs a deployment's inline shell script with a stand-in {@code recsys} that records its
 * arguments, so a test sees the exact command lines the script would run after the shell's own
 * quoting and expansion, and can parse them with the real CLI.
 */
final class ShellScripts {

  private ShellScripts() {}

  /** The argument lists of every {@code recsys} call the script makes, in order. */
  static List<List<String>> recsysCalls(Path tmp, String script, Map<String, String> env) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path log = tmp.resolve("calls");
    Path fake = bin.resolve("recsys");
    // one call per line, arguments separated by a unit separator
    Files.writeString(fake, "#!/bin/sh\nprintf '%s\\037' \"$@\" >> \"$RECSYS_CALLS\"\necho >> \"$RECSYS_CALLS\"\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true);
    pb.environment().putAll(env);
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    pb.environment().put("RECSYS_CALLS", log.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<List<String>> calls = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      calls.add(List.of(line.split("\u001f")));
    }
    return calls;
  }

  /** Parses a command line with the real CLI (options, types, required ones) without running it. */
  static CommandLine.ParseResult parse(List<String> args) {
    return new CommandLine(new RecsysCli()).parseArgs(args.toArray(String[]::new));
  }
}
