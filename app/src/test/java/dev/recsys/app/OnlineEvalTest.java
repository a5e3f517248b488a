package dev.recsys.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.trainer.online.OnlineComparison;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real MovieLens (ml-latest-small) replayed in time order: the Mult-VAE trained on the earlier
 * part, live, against popularity as its shadow on the later part. Online, on identical traffic, the
 * VAE must win, as it does offline. Skipped without the shared data.
 */
class OnlineEvalTest {

  @TempDir Path tmp;

  @Test
  void onlineAndOfflineAgreeThatTheVaeBeatsPopularity() throws Exception {
    Path ratings = SharedMovieLens.ratingsOrSkip();
    OnlineEvalCommand cmd = new OnlineEvalCommand();
    new picocli.CommandLine(cmd).parseArgs("--ratings", ratings.toString(), "--work-dir", tmp.toString(), "--epochs", "100");
    OnlineEvalCommand.Result r = cmd.run();

    ModelMetricsEvent cmp = r.comparison();
    assertThat(cmp.total().events()).isGreaterThan(2_000);
    OnlineComparison online = OnlineComparison.of(cmp.total(), 0.95);
    for (OnlineComparison.Metric m : OnlineComparison.Metric.values()) {
      // shadow (popularity) minus live (VAE): the whole interval below zero
      assertThat(online.row(m).difference().high()).as("popularity - VAE, " + m.label() + ", 95% interval").isNegative();
    }
    // offline, on the random held-out users of the training report: the same order
    assertThat(r.report().test().ndcg100()).isGreaterThan(r.report().baselines().popularity().test().ndcg100());
    assertThat(r.report().test().recall20()).isGreaterThan(r.report().baselines().popularity().test().recall20());
  }
}
