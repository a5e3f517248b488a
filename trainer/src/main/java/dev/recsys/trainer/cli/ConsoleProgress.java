package dev.recsys.trainer.cli;

import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.EpochStats;
import java.io.PrintStream;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A progress bar per epoch (batches, loss, ETA) and one log line per epoch. */
final class ConsoleProgress implements AutoencoderTrainer.Listener {

  private final int epochs;
  private final boolean bars;
  private final PrintStream out;
  private ProgressBar bar;
  private double best = -1;

  ConsoleProgress(int epochs, boolean bars, PrintStream out) {
    this.epochs = epochs;
    this.bars = bars;
    this.out = out;
  }

  @Override
  public void epochStarted(int epoch, int batches) {
    if (bars) {
      bar = new ProgressBarBuilder()
          .setTaskName(String.format("epoch %d/%d", epoch, epochs))
          .setInitialMax(batches)
          .setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(250)
          .continuousUpdate()
          .build();
    }
  }

  @Override
  public void batchDone(int epoch, int batch, double loss) {
    if (bar != null) {
      bar.stepTo(batch);
      bar.setExtraMessage(String.format("loss %.2f", loss));
    }
  }

  @Override
  public void epochDone(EpochStats s) {
    if (bar != null) {
      bar.close();
      bar = null;
    }
    boolean improved = s.valNdcg100() > best;
    best = Math.max(best, s.valNdcg100());
    out.printf(
        "epoch %3d/%d  loss %9.3f  recon %9.3f  kl %8.3f  beta %.4f  val NDCG@100 %.4f%s  %.1fs%n",
        s.epoch(), epochs, s.loss(), s.recon(), s.kl(), s.beta(), s.valNdcg100(), improved ? " *" : "  ", s.seconds());
  }
}
