package dev.recsys.app;

import dev.recsys.app.bench.BenchCommand;
import dev.recsys.job.JobCommand;
import dev.recsys.kafka.cli.DlqCommand;
import dev.recsys.kafka.cli.KafkaCommand;
import dev.recsys.kafka.cli.ReplayCommand;
import dev.recsys.kafka.cli.TailCommand;
import dev.recsys.kafka.cli.TerminalText;
import dev.recsys.kafka.cli.TopicsCommand;
import dev.recsys.model.DjlRuntime;
import dev.recsys.trainer.cli.DownloadCommand;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.cli.SplitCommand;
import dev.recsys.trainer.cli.SummarizeCommand;
import dev.recsys.trainer.cli.SynthCommand;
import dev.recsys.trainer.cli.TrainCommand;
import java.nio.file.FileSystemException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code ./recsys} launcher: one entry point for every tool of the system. */
@Command(
    name = "recsys",
    mixinStandardHelpOptions = true,
    version = "recsys 0.1.0",
    description = "Streaming Mult-VAE / Mult-DAE recommendations with Flink, Kafka and DJL.",
    subcommands = {
      DemoCommand.class,
      KafkaCommand.class,
      TopicsCommand.class,
      ReplayCommand.class,
      TailCommand.class,
      DlqCommand.class,
      JobCommand.class,
      TrainCommand.class,
      ModelCommand.class,
      SplitCommand.class,
      SynthCommand.class,
      DownloadCommand.class,
      SummarizeCommand.class,
      OnlineEvalCommand.class,
      BenchCommand.class,
    })
public final class RecsysCli implements Runnable {

  @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT, description = "On a failure, print the stack trace too (as RECSYS_DEBUG=1 does)")
  boolean verbose;

  public static void main(String[] args) {
    DjlRuntime.configure();
    System.setProperty("java.awt.headless", "true");
    System.exit(commandLine().execute(args));
  }

  /**
   * The launcher's command line. A command that fails prints one line, {@code recsys <command>:
   * <reason>}, to stderr and exits with 1; an operator needs the reason, not the stack trace.
   */
  public static CommandLine commandLine() {
    RecsysCli root = new RecsysCli();
    return new CommandLine(root)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, cmd, parsed) -> {
          cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + reason(e));
          if (root.verbose || "1".equals(System.getenv("RECSYS_DEBUG"))) {
            e.printStackTrace(cmd.getErr());
          }
          cmd.getErr().flush();
          return cmd.getExitCodeExceptionMapper() != null
              ? cmd.getExitCodeExceptionMapper().getExitCode(e)
              : cmd.getCommandSpec().exitCodeOnExecutionException();
        });
  }

  /** The exception's message and those of its causes that add something, on one line fit for a terminal. */
  static String reason(Throwable e) {
    // a bare wrapper (an ExecutionException, say) only repeats its cause
    while (e.getCause() != null && e.getCause().toString().equals(e.getMessage())) {
      e = e.getCause();
    }
    StringBuilder why = new StringBuilder(message(e));
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      String m = message(c);
      if (why.indexOf(m) < 0) {
        why.append(": ").append(m);
      }
    }
    return TerminalText.safe(why.toString().replaceAll("\\s*\\R\\s*", " "));
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // a file system exception's message is only the file's name
    return t instanceof FileSystemException ? t.getClass().getSimpleName() + ": " + m : m;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
