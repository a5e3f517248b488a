package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScoreCostLineTest {

  @Test
  void theLineThroughPointsOnALineIsThatLine() {
    double[] fit = BenchCommand.Score.line(List.of(new double[] {1, 2.87}, new double[] {16, 8.42}, new double[] {256, 97.22}));
    assertThat(fit[0]).isCloseTo(2.5, within(1e-9));
    assertThat(fit[1]).isCloseTo(0.37, within(1e-9));
  }

  @Test
  void scatteredPointsGiveTheLeastSquaresLine() {
    // x mean 2, y mean 2; sum of (x - 2)(y - 2) = 1 and of (x - 2)^2 = 2: slope 0.5, intercept 1
    double[] fit = BenchCommand.Score.line(List.of(new double[] {1, 1}, new double[] {2, 3}, new double[] {3, 2}));
    assertThat(fit[0]).isCloseTo(1.0, within(1e-12));
    assertThat(fit[1]).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void theCostLineFitsEachSizesMedianRoundAndLeavesOutSizesAbove256() {
    int[] batches = {4, 32, 512};
    // medians 4 ms and 18 ms: 2 ms + 0.5 ms per user; the 512 batch's 900 ms would bend it
    double[][] rounds = {{4, 40, 3.9}, {18, 17, 100}, {900, 900, 900}};
    assertThat(BenchCommand.Score.costLine(batches, rounds))
        .isEqualTo("cost per batch, fitted over the sizes up to 256: 2.00 ms + 0.500 ms per user");
    assertThat(BenchCommand.Score.costLine(new int[] {8, 512}, new double[][] {{1}, {2}}))
        .isEqualTo("cost per batch: needs two batch sizes up to 256");
  }
}
