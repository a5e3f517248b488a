package dev.recsys.trainer.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.recsys.trainer.online.OnlineComparison.Decision;
import dev.recsys.trainer.online.OnlineComparison.Interval;
import dev.recsys.trainer.online.OnlineComparison.Metric;
import dev.recsys.trainer.online.OnlineComparison.Row;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every formula against a direct computation on per-event values. */
class OnlineComparisonTest {

  private static final double Z95 = 1.959963984540054;

  @Test
  void normalQuantileMatchesTabulatedValues() {
    // tabulated quantiles (Abramowitz & Stegun 26.2; R's qnorm), to 9 digits
    assertThat(OnlineComparison.normalQuantile(0.975)).isCloseTo(1.959963985, within(1e-8));
    assertThat(OnlineComparison.normalQuantile(0.95)).isCloseTo(1.644853627, within(1e-8));
    assertThat(OnlineComparison.normalQuantile(0.995)).isCloseTo(2.575829304, within(1e-8));
    assertThat(OnlineComparison.normalQuantile(0.9)).isCloseTo(1.281551566, within(1e-8));
    assertThat(OnlineComparison.normalQuantile(0.5)).isCloseTo(0, within(1e-12));
    assertThat(OnlineComparison.normalQuantile(0.025)).isCloseTo(-1.959963985, within(1e-8));
    assertThat(OnlineComparison.normalQuantile(1e-10)).isCloseTo(-6.361340902, within(1e-7));
    assertThat(OnlineComparison.normalQuantile(1 - 1e-6)).isCloseTo(4.753424309, within(1e-7));
    assertThat(OnlineComparison.z(0.95)).isCloseTo(1.959963985, within(1e-8));
    assertThat(OnlineComparison.z(0.99)).isCloseTo(2.575829304, within(1e-8));
    assertThatThrownBy(() -> OnlineComparison.z(1)).hasMessageContaining("strictly between 0 and 1");
    assertThatThrownBy(() -> OnlineComparison.normalQuantile(0)).hasMessageContaining("(0, 1)");
  }

  @Test
  void normalQuantileInvertsTheIntegratedDensity() {
    // the normal CDF by Simpson's rule on the density, which shares nothing with the approximation
    for (double p = 0.001; p < 1; p += 0.0371) {
      double x = OnlineComparison.normalQuantile(p);
      assertThat(cdf(x)).as("Phi(q(%s))", p).isCloseTo(p, within(1e-9 * Math.max(1, p / (1 - p))));
    }
  }

  private static double cdf(double x) {
    // Phi(x) = 1/2 + integral of the density from 0 to x
    int n = 20_000;
    double h = x / n;
    double s = density(0) + density(x);
    for (int i = 1; i < n; i++) {
      s += (i % 2 == 1 ? 4 : 2) * density(i * h);
    }
    return 0.5 + s * h / 3;
  }

  private static double density(double x) {
    return Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  }

  @Test
  void wilsonIntervalMatchesPublishedValuesAndInvertsTheScoreTest() {
    // Newcombe (1998), Statistics in Medicine 17, table I: 81/263 -> 0.2553 to 0.3662; 0/10 -> 0 to 0.2775
    Interval a = OnlineComparison.wilson(81, 263, Z95);
    assertThat(a.estimate()).isCloseTo(81 / 263.0, within(1e-12));
    assertThat(a.low()).isCloseTo(0.2553, within(5e-5));
    assertThat(a.high()).isCloseTo(0.3662, within(5e-5));
    Interval zero = OnlineComparison.wilson(0, 10, Z95);
    assertThat(zero.low()).isCloseTo(0, within(1e-12));
    assertThat(zero.high()).isCloseTo(0.2775, within(5e-5));
    // its bounds are the p0 at which the score statistic (p - p0) / sqrt(p0 (1 - p0) / n) is +-z
    long[][] cases = {{81, 263}, {3, 1000}, {997, 1000}, {50, 100}, {1234, 56789}};
    for (long[] c : cases) {
      Interval w = OnlineComparison.wilson(c[0], c[1], Z95);
      for (double p0 : new double[] {w.low(), w.high()}) {
        double p = (double) c[0] / c[1];
        assertThat(Math.abs(p - p0) / Math.sqrt(p0 * (1 - p0) / c[1])).as("score statistic at %s of %s", p0, Arrays.toString(c))
            .isCloseTo(Z95, within(1e-9));
      }
    }
    assertThat(OnlineComparison.wilson(0, 0, Z95).defined()).isFalse();
  }

  @Test
  void meanIntervalIsTheSampleMeanPlusMinusZStandardErrors() {
    Random rnd = new Random(7);
    double[] g = new double[5000];
    for (int i = 0; i < g.length; i++) {
      g[i] = rnd.nextInt(4) == 0 ? 1 / log2(2 + rnd.nextInt(99)) : 0;
    }
    double sum = Arrays.stream(g).sum();
    double squares = Arrays.stream(g).map(x -> x * x).sum();
    Interval m = OnlineComparison.mean(sum, squares, g.length, Z95);
    double mean = sum / g.length;
    double var = Arrays.stream(g).map(x -> (x - mean) * (x - mean)).sum() / (g.length - 1);
    assertThat(m.estimate()).isCloseTo(mean, within(1e-12));
    assertThat(m.high() - m.estimate()).isCloseTo(Z95 * Math.sqrt(var / g.length), within(1e-12));
    assertThat(m.estimate() - m.low()).isCloseTo(Z95 * Math.sqrt(var / g.length), within(1e-12));
  }

  @Test
  void pairedProportionDifferenceIsTheMeanOfPerEventDifferences() {
    // 9 000 events: both hit 700, only the shadow 260, only live 140, neither the rest
    PairedEvents e = new PairedEvents().add(3, 5, 700).add(4, 0, 260).add(0, 8, 140).add(0, 0, 7900).shuffle(1);
    double[] s = e.hits(10, true);
    double[] l = e.hits(10, false);
    double[] d = new double[s.length];
    Arrays.setAll(d, i -> s[i] - l[i]);
    double mean = Arrays.stream(d).average().orElseThrow();
    // the variance of the mean of the d_i, with the population variance of the d_i
    double varOfMean = Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / d.length / d.length;
    Interval diff = OnlineComparison.pairedProportionDifference(260, 140, 9000, Z95);
    assertThat(diff.estimate()).isCloseTo(mean, within(1e-15)).isCloseTo(120 / 9000.0, within(1e-15));
    assertThat(diff.high() - diff.estimate()).isCloseTo(Z95 * Math.sqrt(varOfMean), within(1e-12));
    assertThat(diff.low()).isGreaterThan(0); // 260 vs 140 discordant events is a clear win
    // only discordant events matter: the same b and c among more concordant events leave the
    // difference of the rates' numerators alone and shrink the variance of their mean
    Interval moreConcordant = OnlineComparison.pairedProportionDifference(260, 140, 90_000, Z95);
    assertThat(moreConcordant.estimate()).isCloseTo(120 / 90_000.0, within(1e-15));
  }

  @Test
  void pairedMeanDifferenceIsTheMeanOfPerEventGainDifferences() {
    PairedEvents e = new PairedEvents().add(1, 2, 300).add(2, 1, 200).add(5, 0, 150).add(0, 30, 90).add(40, 40, 500).add(0, 0, 3000).shuffle(2);
    double[] s = e.gains(true);
    double[] l = e.gains(false);
    double[] d = new double[s.length];
    Arrays.setAll(d, i -> s[i] - l[i]);
    double mean = Arrays.stream(d).average().orElseThrow();
    double var = Arrays.stream(d).map(x -> (x - mean) * (x - mean)).sum() / (d.length - 1);
    var t = e.comparison();
    Interval diff = OnlineComparison.pairedMeanDifference(t.scores().gainSum(), t.baseline().gainSum(), t.gainDiffSquares(), t.events(), Z95);
    assertThat(diff.estimate()).isCloseTo(mean, within(1e-12));
    assertThat(diff.high() - diff.estimate()).isCloseTo(Z95 * Math.sqrt(var / d.length), within(1e-12));
  }

  @Test
  void aComparisonTallyGivesEachVersionAndTheDifferenceOnTheSameEvents() {
    // shadow finds the next movie higher up more often; ranks straddle the cutoffs 10, 20 and 100
    PairedEvents e = new PairedEvents()
        .add(2, 15, 120).add(12, 60, 80).add(50, 0, 70).add(9, 9, 200).add(30, 5, 40).add(0, 18, 25).add(0, 0, 1465).shuffle(3);
    OnlineComparison c = OnlineComparison.of(e.comparison(), 0.9);
    double z90 = 1.6448536269514722;
    assertThat(c.events()).isEqualTo(2000);
    for (Metric m : Metric.values()) {
      Row r = c.row(m);
      double[] s = m == Metric.NDCG ? e.gains(true) : e.hits(m.cutoff(), true);
      double[] l = m == Metric.NDCG ? e.gains(false) : e.hits(m.cutoff(), false);
      double[] d = new double[s.length];
      Arrays.setAll(d, i -> s[i] - l[i]);
      assertThat(r.shadow().estimate()).as("%s shadow", m).isCloseTo(Arrays.stream(s).average().orElseThrow(), within(1e-12));
      assertThat(r.live().estimate()).as("%s live", m).isCloseTo(Arrays.stream(l).average().orElseThrow(), within(1e-12));
      double dm = Arrays.stream(d).average().orElseThrow();
      assertThat(r.difference().estimate()).as("%s difference", m).isCloseTo(dm, within(1e-12));
      double ss = Arrays.stream(d).map(x -> (x - dm) * (x - dm)).sum();
      double se = m == Metric.NDCG ? Math.sqrt(ss / (d.length - 1) / d.length) : Math.sqrt(ss / d.length / d.length);
      // the quantile's own relative error (Acklam: below 1.15e-9) bounds the agreement
      assertThat(r.difference().high() - dm).as("%s half-width", m).isCloseTo(z90 * se, within(2e-9 * z90 * se));
      if (m != Metric.NDCG) {
        Interval w = OnlineComparison.wilson((long) Arrays.stream(s).sum(), 2000, OnlineComparison.z(0.9));
        assertThat(r.shadow()).isEqualTo(w);
      }
    }
    // the expected ordering of the planted ranks
    assertThat(c.row(Metric.HITRATE_10).shadow().estimate()).isEqualTo((120 + 200) / 2000.0);
    assertThat(c.row(Metric.HITRATE_10).live().estimate()).isEqualTo((200 + 40) / 2000.0);
    assertThat(c.row(Metric.HITRATE_100).difference().estimate()).isEqualTo((70 - 25) / 2000.0);
  }

  @Test
  void decidesOnTheLowerBoundTheMarginAndTheEventCount() {
    // clear win: b = 260, c = 140 of 9 000 (difference 0.0133, half-width about 0.0044)
    var win = OnlineComparison.of(new PairedEvents().add(4, 0, 260).add(0, 8, 140).add(0, 0, 8600).comparison(), 0.95);
    Decision yes = win.decide(Metric.HITRATE_10, 0, 1000);
    assertThat(yes.promote()).isTrue();
    assertThat(yes.reason()).contains("HitRate@10", "exceeds the margin +0.0000", "9,000 paired events", "95% interval");
    // the same evidence against a margin inside the interval: inconclusive
    Interval d = win.row(Metric.HITRATE_10).difference();
    double inside = (d.low() + d.estimate()) / 2;
    Decision straddles = win.decide(Metric.HITRATE_10, inside, 1000);
    assertThat(straddles.promote()).isFalse();
    assertThat(straddles.reason()).contains("does not exceed the margin", "straddles");
    // and above it: not better by the margin
    Decision notByMargin = win.decide(Metric.HITRATE_10, d.high() + 0.001, 1000);
    assertThat(notByMargin.promote()).isFalse();
    assertThat(notByMargin.reason()).contains("not better by the margin");
    // too few events, however clear
    Decision few = win.decide(Metric.HITRATE_10, 0, 10_000);
    assertThat(few.promote()).isFalse();
    assertThat(few.reason()).contains("only 9,000 paired events", "10,000");
    // a worse shadow
    var worse = OnlineComparison.of(new PairedEvents().add(4, 0, 100).add(0, 8, 300).add(0, 0, 8600).comparison(), 0.95);
    assertThat(worse.decide(Metric.HITRATE_10, 0, 1000).promote()).isFalse();
    assertThat(worse.decide(Metric.NDCG, 0, 1000).promote()).isFalse();
  }

  @Test
  void metricNamesParseAsOnTheCommandLine() {
    assertThat(Metric.parse("hitrate@20")).isEqualTo(Metric.HITRATE_20);
    assertThat(Metric.parse("NDCG")).isEqualTo(Metric.NDCG);
    assertThatThrownBy(() -> Metric.parse("recall@20")).hasMessageContaining("hitrate@10, hitrate@20, hitrate@100, ndcg");
    assertThat(OnlineComparison.percent(0.95)).isEqualTo("95%");
    assertThat(OnlineComparison.percent(0.999)).isEqualTo("99.9%");
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
