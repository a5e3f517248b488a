package dev.recsys.trainer.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.online.OnlineComparison.Interval;
import dev.recsys.trainer.online.OnlineComparison.Metric;
import dev.recsys.trainer.report.Plots;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code model compare} and {@code model promote --if-better} on a real broker, fed with the
 * records the job would emit for planted per-event ranks.
 */
@WithKafka
class ModelCompareTest {

  private static final long T0 = 1_700_000_000_000L; // 2023-11-14T22:13:20Z
  private static final long MINUTE = 60_000;

  @TempDir Path tmp;

  /** Three windows in which the shadow hits at 10 where live misses 95 times, and the reverse 35 times, of 3,500 events. */
  private static List<PairedEvents> shadowBetter() {
    return List.of(
        new PairedEvents().add(3, 0, 30).add(0, 5, 10).add(2, 2, 40).add(0, 0, 920),
        new PairedEvents().add(3, 0, 40).add(0, 5, 15).add(2, 2, 50).add(0, 0, 1395),
        new PairedEvents().add(3, 0, 25).add(0, 5, 10).add(2, 2, 30).add(0, 0, 935));
  }

  /** The same with the versions' roles swapped. */
  private static List<PairedEvents> shadowWorse() {
    return List.of(
        new PairedEvents().add(0, 3, 30).add(5, 0, 10).add(2, 2, 40).add(0, 0, 920),
        new PairedEvents().add(0, 3, 40).add(5, 0, 15).add(2, 2, 50).add(0, 0, 1395),
        new PairedEvents().add(0, 3, 25).add(5, 0, 10).add(2, 2, 30).add(0, 0, 935));
  }

  /**
   * What the job emits for these windows: per window a comparison record and a version record of
   * each role, with cumulative totals; each version scored 6,000 users a window, live in 1,500 ms,
   * the shadow in 2,700 ms.
   */
  private static List<ModelMetricsEvent> records(String name, int shadow, int live, List<PairedEvents> windows) {
    List<ModelMetricsEvent> out = new ArrayList<>();
    PairedEvents total = new PairedEvents();
    for (int i = 0; i < windows.size(); i++) {
      PairedEvents w = windows.get(i);
      total.addAll(w);
      long start = T0 + i * MINUTE;
      long end = start + MINUTE;
      int n = i + 1;
      out.add(PairedEvents.comparisonRecord(name, shadow, live, start, end, w.comparison(), total.comparison()));
      out.add(PairedEvents.versionRecord(name, live, ModelMetricsEvent.LIVE, start, end, w.version(false, 6000, 1500), total.version(false, 6000L * n, 1500.0 * n)));
      out.add(PairedEvents.versionRecord(name, shadow, ModelMetricsEvent.SHADOW, start, end, w.version(true, 6000, 2700), total.version(true, 6000L * n, 2700.0 * n)));
    }
    return out;
  }

  private static void createTopics(KafkaCluster kafka, String... topics) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      admin.createTopics(Stream.of(topics).map(t -> new NewTopic(t, 1, (short) 1)).toList()).all().get();
    }
  }

  private static void produce(KafkaCluster kafka, String topic, List<byte[]> values) throws Exception {
    try (KafkaProducer<String, byte[]> p =
        new KafkaProducer<>(KafkaClients.idempotentProducer(kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
      for (byte[] v : values) {
        p.send(new ProducerRecord<>(topic, "k", v)).get();
      }
    }
  }

  private static List<byte[]> encoded(List<ModelMetricsEvent> events) {
    return events.stream().map(JsonCodec.MODEL_METRICS::encode).toList();
  }

  /** A registry in which model {@code name} has v1 current and v2 as the shadow. */
  private ModelRegistry registryWithShadow(String name) throws Exception {
    ModelRegistry r = new ModelRegistry(tmp.resolve("registry"));
    Architecture arch = new Architecture(ModelType.DAE, 20, new int[0], 4);
    for (long seed = 1; seed <= 2; seed++) {
      Path b = tmp.resolve(name + "-bundle" + seed);
      RandomBundle.write(b, arch, LongStream.rangeClosed(1, 20).toArray(), seed);
      r.publish(name, b);
    }
    r.promote(name, 1);
    r.startShadow(name, 2);
    return r;
  }

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      CommandLine cli = new CommandLine(new ModelCommand());
      cli.setErr(new PrintWriter(err, true));
      int exit = cli.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(stdout);
    }
  }

  private String[] args(String command, KafkaCluster kafka, String name, String metricsTopic, String... more) {
    return Stream.concat(
            Stream.of(command, "--registry", tmp.resolve("registry").toString(), "--name", name, "--bootstrap", kafka.bootstrapServers(),
                "--metrics-topic", metricsTopic),
            Stream.of(more))
        .toArray(String[]::new);
  }

  private static String row(Metric m, Interval live, Interval shadow, Interval diff) {
    return String.format("  %-12s %-26s %-26s %s", m.label(), live.format(false), shadow.format(false), diff.format(true));
  }

  @Test
  void compareShowsBothVersionsOnTheSameEventsSkipsBadRecordsAndPlots(KafkaCluster kafka) throws Exception {
    createTopics(kafka, "mm-compare");
    List<ModelMetricsEvent> recs = records("cmp", 2, 1, shadowBetter());
    List<byte[]> values = new ArrayList<>(encoded(recs));
    values.add(2, "{not json".getBytes(StandardCharsets.UTF_8));
    values.add(4, "{\"kind\":\"version\"}".getBytes(StandardCharsets.UTF_8)); // JSON, but not the contract
    // a repeat of the second window's comparison after a failure, emitted later: one window still
    ModelMetricsEvent second = recs.get(3);
    values.add(JsonCodec.MODEL_METRICS.encode(new ModelMetricsEvent(second.kind(), second.modelName(), second.modelVersion(), second.role(),
        second.baselineVersion(), second.windowStart(), second.windowEnd(), second.window(), second.total(), second.emittedAt() + 1000)));
    values.addAll(encoded(records("other", 5, 4, shadowWorse()).subList(0, 1)));
    produce(kafka, "mm-compare", values);

    Path png = tmp.resolve("plots/compare.png");
    Files.createDirectories(png.getParent());
    Run r = run(args("compare", kafka, "cmp", "mm-compare", "--plot", png.toString(), "--confidence", "0.9"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("read 13 records of mm-compare, 10 of model 'cmp'; skipped 2 that did not decode (first: mm-compare-0@2: not JSON")
        .contains("cmp: shadow v2 against live v1 on the same 3,500 events, up to 2023-11-14T22:16:20Z (90% intervals)");
    // the figures, from the planted counts: at 10, live hits 35 + 120, the shadow 95 + 120, of 3,500
    double z = OnlineComparison.z(0.9);
    assertThat(r.out()).contains(row(Metric.HITRATE_10, OnlineComparison.wilson(155, 3500, z), OnlineComparison.wilson(215, 3500, z),
        OnlineComparison.pairedProportionDifference(95, 35, 3500, z)));
    assertThat(r.out()).contains("  HitRate@10   0.0443 [", "0.0614 [", "+0.0171 [");
    // at 20 and 100 the same events hit (ranks 2 to 5)
    assertThat(r.out()).contains(row(Metric.HITRATE_100, OnlineComparison.wilson(155, 3500, z), OnlineComparison.wilson(215, 3500, z),
        OnlineComparison.pairedProportionDifference(95, 35, 3500, z)));
    double gainShadow = 95 * PairedEvents.gain(3) + 120 * PairedEvents.gain(2);
    double gainLive = 35 * PairedEvents.gain(5) + 120 * PairedEvents.gain(2);
    assertThat(r.out()).contains(String.format("  NDCG         %.4f [", gainLive / 3500)).contains(String.format(" %.4f [", gainShadow / 3500))
        .contains(String.format(" %+.4f [", (gainShadow - gainLive) / 3500));
    // 4,500 ms for 18,000 users, and 8,100 ms for 18,000
    assertThat(r.out()).contains(
        "scoring cost, ms per 1,000 users scored: live v1 250.000 (18,000 users), shadow v2 450.000 (18,000 users): the shadow adds 1.80x");
    assertThat(r.out()).contains("plotted HitRate@10 over 3 windows: " + png);

    BufferedImage img = ImageIO.read(png.toFile());
    assertThat(img).isNotNull();
    assertThat(img.getWidth()).isEqualTo(900);
    assertThat(img.getHeight()).isEqualTo(500);

    // the plotted values: each version's hit rate on each window's own events, with its Wilson interval
    MetricsTopic.Snapshot s = MetricsTopic.read(kafka.bootstrapServers(), Map.of(), "mm-compare", "cmp", Duration.ofSeconds(30));
    YIntervalSeriesCollection data = Plots.onlineSeries(s.comparisonWindows(2, 1), Metric.HITRATE_10, z);
    assertThat(data.getSeriesCount()).isEqualTo(2);
    assertThat(data.getSeriesKey(0)).isEqualTo("live v1");
    assertThat(data.getSeriesKey(1)).isEqualTo("shadow v2");
    long[][] hits = {{50, 65, 40}, {70, 90, 55}}; // live, shadow
    long[] n = {1000, 1500, 1000};
    for (int series = 0; series < 2; series++) {
      assertThat(data.getItemCount(series)).isEqualTo(3);
      for (int i = 0; i < 3; i++) {
        Interval w = OnlineComparison.wilson(hits[series][i], n[i], z);
        assertThat(data.getXValue(series, i)).isEqualTo(T0 + (i + 1) * MINUTE);
        assertThat(data.getYValue(series, i)).isCloseTo((double) hits[series][i] / n[i], within(1e-12));
        assertThat(data.getStartYValue(series, i)).isCloseTo(w.low(), within(1e-12));
        assertThat(data.getEndYValue(series, i)).isCloseTo(w.high(), within(1e-12));
      }
    }
    assertThat(data.getStartYValue(0, 0)).isLessThan(0.05).isGreaterThan(0.03);

    // no records of this name: said so
    Run nobody = run(args("compare", kafka, "nobody", "mm-compare"));
    assertThat(nobody.exit()).isZero();
    assertThat(nobody.out()).contains("no online metrics of model 'nobody' on mm-compare (models there: [cmp, other])");
  }

  @Test
  void compareWithoutAShadowShowsTheLiveVersionAndAnEmptyOrMissingTopicIsSaid(KafkaCluster kafka) throws Exception {
    createTopics(kafka, "mm-solo", "mm-empty");
    PairedEvents w = new PairedEvents().add(0, 4, 120).add(0, 0, 880);
    produce(kafka, "mm-solo", encoded(List.of(
        PairedEvents.versionRecord("solo", 3, ModelMetricsEvent.LIVE, T0, T0 + MINUTE, w.version(false, 500, 100), w.version(false, 500, 100)))));
    Run r = run(args("compare", kafka, "solo", "mm-solo", "--plot", tmp.resolve("solo.png").toString()));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("no comparison on mm-solo (no shadow has run, or none has seen events): the live version alone")
        .contains("solo: live v3 on 1,000 events")
        .contains("  HitRate@10   " + OnlineComparison.wilson(120, 1000, OnlineComparison.z(0.95)).format(false))
        .contains("live v3 200.000 (500 users)")
        .contains("plotted HitRate@10 over 1 windows");
    assertThat(ImageIO.read(tmp.resolve("solo.png").toFile()).getWidth()).isEqualTo(900);

    Run empty = run(args("compare", kafka, "solo", "mm-empty"));
    assertThat(empty.exit()).isZero();
    assertThat(empty.out()).contains("mm-empty is empty: the job has not reported online metrics yet");

    Run missing = run(args("compare", kafka, "solo", "mm-no-such-topic"));
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("topic mm-no-such-topic does not exist");
    Run noBootstrap = run("compare", "--registry", tmp.resolve("registry").toString());
    assertThat(noBootstrap.exit()).isEqualTo(2);
    assertThat(noBootstrap.err()).contains("--bootstrap is required");
  }

  @Test
  void promoteIfBetterPromotesABetterShadowAndAnnouncesThePromotionAndTheShadowsEnd(KafkaCluster kafka) throws Exception {
    createTopics(kafka, "mm-better", "mu-better");
    ModelRegistry reg = registryWithShadow("better");
    produce(kafka, "mm-better", encoded(records("better", 2, 1, shadowBetter())));

    Run r = run(args("promote", kafka, "better", "mm-better", "--if-better", "--topic", "mu-better"));
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("shadow v2 beats live v1: HitRate@10 shadow - live = +0.0171 [", "exceeds the margin +0.0000", "current better v2");
    assertThat(reg.current("better")).map(ModelRegistry.Version::version).contains(2);
    assertThat(reg.shadow("better")).isEmpty();
    assertThat(tmp.resolve("registry/better/shadow.json")).doesNotExist();

    List<ConsumerRecord<String, byte[]>> got = readAll(kafka, "mu-better");
    assertThat(got).hasSize(2);
    List<ModelUpdateEvent> events = got.stream().map(c -> JsonCodec.MODEL_UPDATE.decode(c.value())).toList();
    assertThat(events).extracting(ModelUpdateEvent::action).containsExactly("promote", ModelUpdateEvent.END_SHADOW);
    assertThat(events).extracting(ModelUpdateEvent::version).containsExactly(2, 2);
    assertThat(got).extracting(ConsumerRecord::key).containsExactly("better", "better/shadow");
    // and what the job checks them against passes
    ModelUpdateEvent promote = events.get(0);
    assertThat(reg.acceptCurrent("better", 2, promote.uri(), promote.sha256()).version().version()).isEqualTo(2);
    reg.acceptShadowEnd("better", 2);
  }

  @Test
  void promoteIfBetterLeavesRegistryAndTopicUntouchedWhenTheShadowIsWorseOrTheEvidenceShort(KafkaCluster kafka) throws Exception {
    createTopics(kafka, "mm-keep", "mu-keep");
    registryWithShadow("worse");
    registryWithShadow("close");
    registryWithShadow("unmeasured");
    List<ModelMetricsEvent> recs = new ArrayList<>(records("worse", 2, 1, shadowWorse()));
    recs.addAll(records("close", 2, 1, shadowBetter()));
    recs.addAll(records("unmeasured", 2, 9, shadowBetter())); // against another live version: not this pair
    produce(kafka, "mm-keep", encoded(recs));
    Map<Path, String> before = files(tmp.resolve("registry"));

    Run worse = run(args("promote", kafka, "worse", "mm-keep", "--if-better", "--topic", "mu-keep"));
    assertThat(worse.exit()).as(worse.err()).isEqualTo(3);
    assertThat(worse.out()).contains("not promoted: shadow v2 against live v1: HitRate@10 shadow - live = -0.0", "not better by the margin");
    Run worseNdcg = run(args("promote", kafka, "worse", "mm-keep", "--if-better", "--metric", "ndcg", "--topic", "mu-keep"));
    assertThat(worseNdcg.exit()).isEqualTo(3);
    assertThat(worseNdcg.out()).contains("not promoted: shadow v2 against live v1: NDCG shadow - live = -0.0");

    // the better shadow's interval, about [+0.0108, +0.0235] at 95%, straddles a margin of 0.015
    Run straddles = run(args("promote", kafka, "close", "mm-keep", "--if-better", "--margin", "0.015", "--topic", "mu-keep"));
    assertThat(straddles.exit()).isEqualTo(3);
    assertThat(straddles.out()).contains("does not exceed the margin +0.0150", "inconclusive: the interval straddles the margin", "3,500 paired events");
    Run few = run(args("promote", kafka, "close", "mm-keep", "--if-better", "--min-events", "5000", "--topic", "mu-keep"));
    assertThat(few.exit()).isEqualTo(3);
    assertThat(few.out()).contains("not promoted: shadow v2 against live v1: only 3,500 paired events, fewer than the 5,000 required");
    // a margin of 0.005 the 95% interval clears, and the 99.99% one, about [+0.0045, +0.0298], does not
    assertThat(OnlineComparison.of(records("close", 2, 1, shadowBetter()).get(6).total(), 0.95).decide(Metric.HITRATE_10, 0.005, 1000).promote())
        .isTrue();
    Run strict = run(args("promote", kafka, "close", "mm-keep", "--if-better", "--margin", "0.005", "--confidence", "0.9999", "--topic", "mu-keep"));
    assertThat(strict.exit()).isEqualTo(3);
    assertThat(strict.out()).contains("99.99% interval", "straddles");

    Run unmeasured = run(args("promote", kafka, "unmeasured", "mm-keep", "--if-better", "--topic", "mu-keep"));
    assertThat(unmeasured.exit()).isEqualTo(3);
    assertThat(unmeasured.out()).contains("not promoted: mm-keep has no comparison of shadow v2 against live v1 yet");

    assertThat(files(tmp.resolve("registry"))).as("registry files, byte for byte").isEqualTo(before);

    new ModelRegistry(tmp.resolve("registry")).endShadow("unmeasured");
    Map<Path, String> ended = files(tmp.resolve("registry"));
    Run noShadow = run(args("promote", kafka, "unmeasured", "mm-keep", "--if-better", "--topic", "mu-keep"));
    assertThat(noShadow.exit()).isEqualTo(3);
    assertThat(noShadow.out()).contains("not promoted: model 'unmeasured' has no shadow");
    assertThat(files(tmp.resolve("registry"))).isEqualTo(ended);
    assertThat(readAll(kafka, "mu-keep")).as("nothing announced").isEmpty();
  }

  @Test
  void promoteTakesVersionOrIfBetterAndAnnouncesTheEndOfAPromotedShadow(KafkaCluster kafka) throws Exception {
    createTopics(kafka, "mu-version");
    ModelRegistry reg = registryWithShadow("byversion");
    String registry = tmp.resolve("registry").toString();
    Run both = run("promote", "--version", "2", "--if-better", "--registry", registry, "--name", "byversion");
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("mutually exclusive");
    Run neither = run("promote", "--registry", registry, "--name", "byversion");
    assertThat(neither.exit()).isEqualTo(2);
    Run margin = run("promote", "--version", "2", "--margin", "0.1", "--registry", registry, "--name", "byversion");
    assertThat(margin.exit()).isEqualTo(2);
    assertThat(margin.err()).contains("--margin applies to --if-better only");
    Run noBootstrap = run("promote", "--if-better", "--registry", registry, "--name", "byversion");
    assertThat(noBootstrap.exit()).isEqualTo(2);
    assertThat(noBootstrap.err()).contains("--bootstrap is required");
    Run help = run("promote", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("--if-better", "--version=<version>", "Exit codes:", "--if-better did not promote");
    assertThat(reg.current("byversion")).map(ModelRegistry.Version::version).contains(1);

    Run r = run("promote", "--version", "2", "--registry", registry, "--name", "byversion", "--bootstrap", kafka.bootstrapServers(), "--topic", "mu-version");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(reg.shadow("byversion")).isEmpty();
    assertThat(readAll(kafka, "mu-version").stream().map(c -> JsonCodec.MODEL_UPDATE.decode(c.value()).action()))
        .containsExactly("promote", ModelUpdateEvent.END_SHADOW);
  }

  /** Every file under root and its content, as hex. */
  private static Map<Path, String> files(Path root) throws Exception {
    Map<Path, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        out.put(root.relativize(p), HexFormat.of().formatHex(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  private static List<ConsumerRecord<String, byte[]>> readAll(KafkaCluster kafka, String topic) {
    List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(KafkaClients.readCommittedConsumer(kafka.bootstrapServers(), "t-" + topic),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
