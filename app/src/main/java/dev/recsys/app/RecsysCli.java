package dev.recsys.app;

import dev.recsys.app.bench.BenchCommand;
import dev.recsys.job.JobCommand;
import dev.recsys.kafka.cli.DlqCommand;
import dev.recsys.kafka.cli.KafkaCommand;
import dev.recsys.kafka.cli.ReplayCommand;
import dev.recsys.kafka.cli.TailCommand;
import dev.recsys.kafka.cli.TopicsCommand;
import dev.recsys.model.DjlRuntime;
import dev.recsys.trainer.cli.DownloadCommand;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.cli.SplitCommand;
import dev.recsys.trainer.cli.SummarizeCommand;
import dev.recsys.trainer.cli.SynthCommand;
import dev.recsys.trainer.cli.TrainCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

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
      BenchCommand.class,
    })
public final class RecsysCli implements Runnable {

  public static void main(String[] args) {
    DjlRuntime.configure();
    System.setProperty("java.awt.headless", "true");
    int code = new CommandLine(new RecsysCli()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    System.exit(code);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
