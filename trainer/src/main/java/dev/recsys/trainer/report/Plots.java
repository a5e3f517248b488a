package dev.recsys.trainer.report;

import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelMetricsEvent.Scores;
import dev.recsys.trainer.online.OnlineComparison;
import dev.recsys.trainer.online.OnlineComparison.Interval;
import dev.recsys.trainer.train.EpochStats;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.DateAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * PNG plots: of a training run (loss curves and validation NDCG@100 per epoch), and of online
 * metrics on live traffic (a version's figure per window, with its interval).
 */
public final class Plots {

  private Plots() {}

  /** Reconstruction, KL and total loss per epoch; KL on its own axis since it is much smaller. */
  public static void losses(Path png, String title, List<EpochStats> h) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection main = new XYSeriesCollection();
    main.addSeries(series("total loss", h, EpochStats::loss));
    main.addSeries(series("reconstruction (neg. log-likelihood)", h, EpochStats::recon));
    XYPlot plot = new XYPlot(main, new NumberAxis("epoch"), new NumberAxis("loss per user"), renderer(Color.BLACK, new Color(0x1f77b4)));
    plot.getRangeAxis().setAutoRange(true);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    if (h.stream().anyMatch(e -> e.kl() > 0)) {
      XYSeriesCollection kl = new XYSeriesCollection(series("KL divergence", h, EpochStats::kl));
      plot.setDataset(1, kl);
      NumberAxis klAxis = new NumberAxis("KL");
      klAxis.setAutoRangeIncludesZero(false);
      plot.setRangeAxis(1, klAxis);
      plot.mapDatasetToRangeAxis(1, 1);
      plot.setRenderer(1, renderer(new Color(0xd62728)));
    }
    save(png, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true));
  }

  /** Validation NDCG@100 per epoch, with the best epoch marked. */
  public static void validation(Path png, String title, List<EpochStats> h, int bestEpoch, double popularity, double ease)
      throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection(series("validation NDCG@100", h, EpochStats::valNdcg100));
    XYPlot plot = new XYPlot(data, new NumberAxis("epoch"), new NumberAxis("NDCG@100"), renderer(new Color(0x2ca02c)));
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    ValueMarker best = marker(bestEpoch, "best epoch " + bestEpoch, Color.GRAY);
    best.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.BOTTOM_LEFT);
    best.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_RIGHT);
    plot.addDomainMarker(best);
    if (popularity > 0) {
      plot.addRangeMarker(marker(popularity, "popularity", new Color(0x7f7f7f)));
    }
    if (ease > 0) {
      plot.addRangeMarker(marker(ease, "EASE", new Color(0x9467bd)));
    }
    // the baselines' lines must stay in view even when the model is far from them
    double lo = popularity > 0 ? popularity : Double.MAX_VALUE;
    double hi = Math.max(ease, popularity);
    for (EpochStats e : h) {
      lo = Math.min(lo, e.valNdcg100());
      hi = Math.max(hi, e.valNdcg100());
    }
    if (hi > lo) {
      double pad = (hi - lo) * 0.08;
      plot.getRangeAxis().setRange(lo - pad, hi + pad);
    }
    save(png, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true));
  }

  /**
   * One series per version, x = window end (epoch ms), y = the metric on the window's own counts
   * with its interval: a comparison record gives the live version (its baseline) and the shadow on
   * the same events, a version record its version in its role. Windows without events are left out.
   */
  public static YIntervalSeriesCollection onlineSeries(List<ModelMetricsEvent> windows, OnlineComparison.Metric metric, double z) {
    Map<String, YIntervalSeries> series = new LinkedHashMap<>();
    for (ModelMetricsEvent e : windows) {
      long n = e.window().events();
      if (n == 0) {
        continue;
      }
      if (ModelMetricsEvent.COMPARISON.equals(e.kind())) {
        add(series, "live v" + e.baselineVersion(), e.windowEnd(), e.window().baseline(), n, metric, z);
        add(series, "shadow v" + e.modelVersion(), e.windowEnd(), e.window().scores(), n, metric, z);
      } else {
        add(series, e.role() + " v" + e.modelVersion(), e.windowEnd(), e.window().scores(), n, metric, z);
      }
    }
    YIntervalSeriesCollection data = new YIntervalSeriesCollection();
    series.values().forEach(data::addSeries);
    return data;
  }

  private static void add(Map<String, YIntervalSeries> series, String key, long x, Scores s, long n, OnlineComparison.Metric metric, double z) {
    Interval i = OnlineComparison.estimate(s, n, metric, z);
    boolean band = Double.isFinite(i.low()) && Double.isFinite(i.high()); // not for a mean gain of one event
    series.computeIfAbsent(key, YIntervalSeries::new).add(x, i.estimate(), band ? i.low() : i.estimate(), band ? i.high() : i.estimate());
  }

  /** {@link #onlineSeries} over time: a line per version in a band of its interval. */
  public static void online(Path png, String title, YIntervalSeriesCollection data, String metricLabel, String confidence) throws IOException {
    System.setProperty("java.awt.headless", "true");
    DateAxis time = new DateAxis("window end (UTC)");
    time.setTimeZone(TimeZone.getTimeZone("UTC"));
    DeviationRenderer r = new DeviationRenderer(true, true);
    Color[] colors = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
    for (int i = 0; i < data.getSeriesCount(); i++) {
      Color c = colors[i % colors.length];
      r.setSeriesPaint(i, c);
      r.setSeriesFillPaint(i, c);
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    r.setAlpha(0.18f); // the bands overlap where the versions do not differ
    NumberAxis value = new NumberAxis(metricLabel + " per window (" + confidence + " interval)");
    value.setAutoRangeIncludesZero(false);
    save(png, new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, new XYPlot(data, time, value, r), true));
  }

  private static XYSeries series(String name, List<EpochStats> h, ToDoubleFunction<EpochStats> f) {
    XYSeries s = new XYSeries(name);
    h.forEach(e -> s.add(e.epoch(), f.applyAsDouble(e)));
    return s;
  }

  private static XYLineAndShapeRenderer renderer(Color... colors) {
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < colors.length; i++) {
      r.setSeriesPaint(i, colors[i]);
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    return r;
  }

  private static ValueMarker marker(double at, String label, Color c) {
    ValueMarker m = new ValueMarker(at, c, new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 4f}, 0f));
    m.setLabel(label);
    m.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_RIGHT);
    m.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_RIGHT);
    return m;
  }

  private static void save(Path png, JFreeChart chart) throws IOException {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setBackgroundPaint(Color.WHITE);
    chart.getXYPlot().setDomainGridlinePaint(Color.LIGHT_GRAY);
    chart.getXYPlot().setRangeGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 900, 500);
  }
}
