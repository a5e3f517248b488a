package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.recsys.app.RecsysCli;
import dev.recsys.app.SharedMovieLens;
import dev.recsys.job.JobConfig;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.scoring.Scorer;
import dev.recsys.model.scoring.ScoringMode;
import dev.recsys.model.scoring.UserQuery;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two-stage scoring with the job's default settings on a Mult-VAE trained on real MovieLens
 * (ml-latest-small): the top-100 of every user must match exact scoring's in at least 99.5% of its
 * items on average. Skipped without the shared data.
 */
class TwoStageQualityTest {

  @TempDir Path tmp;

  @Test
  void theDefaultTwoStageSettingsKeepTheExactTop100OnRealData() throws Exception {
    Path ratings = SharedMovieLens.ratingsOrSkip();
    int exit = RecsysCli.commandLine().execute("train", "--ratings", ratings.toString(), "--out", tmp.resolve("train").toString(), "--epochs", "60",
        "--held-out-users", "60", "--no-ease", "--no-progress");
    assertThat(exit).isZero();
    ModelBundle bundle = ModelBundle.load(tmp.resolve("train/bundle"));
    List<UserQuery> users = TwoStageBench.users(ratings, bundle);
    assertThat(users).hasSizeGreaterThan(600);
    JobConfig defaults = JobConfig.defaults().set(JobConfig.SCORING_MODE, JobConfig.ScoringModeOption.TWO_STAGE).validate();
    List<List<Long>> exact;
    try (Scorer s = Scorer.open(bundle, Device.cpu())) {
      exact = TwoStageBench.ids(TwoStageBench.score(s, users, 256));
    }
    try (Scorer s = Scorer.open(bundle, Device.cpu(), defaults.scoringMode())) {
      assertThat(s.mode()).isEqualTo(ScoringMode.twoStage(64, 400));
      TwoStageBench.Overlap o = TwoStageBench.overlap(exact, TwoStageBench.ids(TwoStageBench.score(s, users, 256)));
      assertThat(o.mean()).as("mean top-100 overlap with exact, default settings").isGreaterThanOrEqualTo(0.995);
    }
    // the measure can fail: a rank-2 approximation re-scoring only the top 100 misses part of the list
    try (Scorer s = Scorer.open(bundle, Device.cpu(), ScoringMode.twoStage(2, 100))) {
      TwoStageBench.Overlap o = TwoStageBench.overlap(exact, TwoStageBench.ids(TwoStageBench.score(s, users, 256)));
      assertThat(o.mean()).as("mean top-100 overlap with exact, rank 2, 100 candidates").isLessThan(0.99);
    }
  }
}
