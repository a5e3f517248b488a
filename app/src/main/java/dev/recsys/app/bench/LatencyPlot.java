package dev.recsys.app.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToLongFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** Latency percentiles against offered load, as a PNG. */
final class LatencyPlot {

  private LatencyPlot() {}

  static void write(Path png, String title, List<JobBench.LoadPoint> points) throws IOException {
    System.setProperty("java.awt.headless", "true");
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(series("emitted p50", points, l -> l.emitted().p50()));
    data.addSeries(series("emitted p99", points, l -> l.emitted().p99()));
    data.addSeries(series("visible p50", points, l -> l.visible().p50()));
    data.addSeries(series("visible p99", points, l -> l.visible().p99()));
    data.addSeries(series("visible max", points, l -> l.visible().max()));
    LogarithmicAxis ms = new LogarithmicAxis("milliseconds after the rating was sent (log scale)");
    ms.setStrictValuesFlag(false);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    Color[] colors = {new Color(0x1f77b4), new Color(0xaec7e8), new Color(0xd62728), new Color(0xff9896), Color.GRAY};
    for (int i = 0; i < colors.length; i++) {
      r.setSeriesPaint(i, colors[i]);
      r.setSeriesStroke(i, new BasicStroke(i % 2 == 0 ? 2.2f : 1.6f));
    }
    NumberAxis load = new NumberAxis("offered load, % of the saturated rate");
    load.setRange(0, 100);
    XYPlot plot = new XYPlot(data, load, ms, r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    ChartUtils.saveChartAsPNG(png.toFile(), new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true), 960, 560);
  }

  private static XYSeries series(String name, List<JobBench.LoadPoint> points, ToLongFunction<Deliveries.Latencies> f) {
    XYSeries s = new XYSeries(name);
    points.forEach(p -> s.add(p.percent(), Math.max(1, f.applyAsLong(p.latencies()))));
    return s;
  }
}
