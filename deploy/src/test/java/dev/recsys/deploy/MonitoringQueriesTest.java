package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.RatingEvent;
import dev.recsys.contracts.Topics;
import dev.recsys.job.JobConfig;
import dev.recsys.job.JobEnvironment;
import dev.recsys.job.Jobs;
import dev.recsys.job.KafkaIO;
import dev.recsys.job.RecommenderJob;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every PromQL query of the dashboard and the alert rules, run by a real Prometheus against the
 * real job: the job on a MiniCluster with Flink's Prometheus reporter, fed ratings (some bad) and a
 * bad model announcement through a real Kafka broker; Prometheus scrapes the reporter and loads the
 * rules file. Each query must parse, and each must find the metrics it reads: a metric renamed in
 * the job (or misspelled here) leaves a query empty and fails this test. The counters Prometheus
 * sees are checked against what was sent and what arrived on the topics.
 */
@WithKafka
class MonitoringQueriesTest {

  private static final String JOB = "recsys-monitoring";
  private static final String MODEL = "ml";
  private static final int ITEMS = 60;
  private static final int USERS = 40;
  private static final int VALID = 400;
  private static final int BAD = 3;
  /** Grafana's $__rate_interval, for a 1-second scrape: any window with a few samples. */
  private static final String RATE_INTERVAL = "1m";
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path tmp;

  @Test
  void everyDashboardAndAlertQueryFindsTheRunningJobsMetrics(KafkaCluster kafka) throws Exception {
    assumeTrue(PrometheusServer.binary().isPresent(),
        "no prometheus binary (Debian's prometheus package, which .ci/run installs): the dashboard and alert queries were not run");
    String bootstrap = kafka.bootstrapServers();
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      Topics.create(admin, (short) 1);
    }
    int version = publishModel();
    int reporterPort = PrometheusServer.freePort();
    JobClient job = startJob(bootstrap, reporterPort);
    try (PrometheusServer prom = PrometheusServer.start(tmp.resolve("prometheus"), "127.0.0.1:" + reporterPort, List.of(MonitoringFiles.ALERTS));
        TopicCounter recommendations = new TopicCounter(bootstrap, Topics.RECOMMENDATIONS);
        TopicCounter deadLetters = new TopicCounter(bootstrap, Topics.DEAD_LETTER)) {
      produce(bootstrap);
      String jobLabel = "job_name=\"" + MonitoringFiles.labelValue(JOB) + "\"";

      // everything sent has been read, and every list the job emitted is on the topic and counted
      await(() -> value(prom, "sum(flink_taskmanager_job_task_operator_eventsIn{" + jobLabel + "})") == VALID + BAD
          && value(prom, "sum(flink_taskmanager_job_task_operator_announcementsRefused{" + jobLabel + "})") == 1, prom, "all input counted");
      awaitStable(() -> recommendations.count() > 0
          && value(prom, "sum(flink_taskmanager_job_task_operator_recommendationsOut{" + jobLabel + "})") == recommendations.count(), prom);
      await(() -> deadLetters.count() == BAD + 1, prom, "dead letters on the topic");

      // the counters against independent counts
      assertThat(value(prom, "sum(flink_taskmanager_job_task_operator_badEvents{" + jobLabel + "})")).isEqualTo(BAD);
      assertThat(value(prom, "sum(flink_taskmanager_job_task_operator_modelLoadFailures{" + jobLabel + "})")).isZero();
      assertThat(value(prom, "max(flink_jobmanager_job_numRestarts{" + jobLabel + "})")).isZero();
      assertThat(recommendations.count()).isPositive().isLessThanOrEqualTo(VALID);

      List<String> failures = new ArrayList<>();
      Map<String, Map<String, Double>> results = new TreeMap<>();
      for (MonitoringFiles.Query q : MonitoringFiles.dashboardQueries()) {
        String expr = grafana(q.expr());
        JsonNode r = prom.query(expr);
        if (!"success".equals(r.path("status").asText())) {
          failures.add(q + " does not run: " + r.path("error").asText());
          continue;
        }
        Map<String, Double> series = series(r);
        if (series.isEmpty()) {
          failures.add(q + " returned no data (metrics " + MonitoringFiles.metrics(expr) + ")");
        } else if (series.values().stream().anyMatch(v -> v.isNaN())) {
          failures.add(q + " returned NaN: " + series);
        }
        results.put(q.panel() + " / " + q.legend(), series);
      }
      for (Map.Entry<String, String> v : MonitoringFiles.variableQueries().entrySet()) {
        // label_values(metric, label): the values Grafana offers for $job
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("label_values\\((\\S+),\\s*(\\w+)\\)").matcher(v.getValue());
        assertThat(m.matches()).as(v.getValue()).isTrue();
        JsonNode r = prom.get("/api/v1/label/" + m.group(2) + "/values?match[]=" + java.net.URLEncoder.encode(m.group(1), StandardCharsets.UTF_8));
        List<String> offered = new ArrayList<>();
        r.path("data").forEach(n -> offered.add(n.asText()));
        if (!offered.contains(MonitoringFiles.labelValue(JOB))) {
          failures.add("variable $" + v.getKey() + " (" + v.getValue() + ") offers " + offered + ", not the running job");
        }
      }

      List<MonitoringFiles.Alert> alerts = MonitoringFiles.alerts();
      Map<String, Integer> alertResults = new TreeMap<>();
      for (MonitoringFiles.Alert a : alerts) {
        JsonNode r = prom.query(a.expr());
        if (!"success".equals(r.path("status").asText())) {
          failures.add("alert " + a.name() + " does not run: " + r.path("error").asText());
          continue;
        }
        alertResults.put(a.name(), series(r).size());
        // the alert's condition may be false (no series); the metrics it reads must be there
        for (String metric : MonitoringFiles.metrics(a.expr())) {
          if (value(prom, "count(" + metric + "{" + jobLabel + "})") == 0) {
            failures.add("alert " + a.name() + " reads " + metric + ", which the job does not report");
          }
        }
      }
      assertThat(failures).as("queries against %s; results %s", JOB, results).isEmpty();

      // what the queries say about this run
      assertThat(only(results, "Ratings in, recommendations out / ratings in")).isPositive();
      assertThat(only(results, "Ratings in, recommendations out / recommendations out")).isPositive();
      assertThat(only(results, "Dead letters / bad ratings")).isPositive();
      assertThat(only(results, "Dead letters / refused announcements")).isPositive();
      assertThat(only(results, "Dead letters / model load failures")).isZero();
      Map<String, Double> latency = results.get("Rating to recommendation latency / p{{quantile}}");
      assertThat(latency).hasSize(3);
      List<Double> byQuantile = new ArrayList<>(latency.values()); // keys sort by quantile: 0.5, 0.95, 0.99
      assertThat(byQuantile.get(0)).isPositive().isLessThanOrEqualTo(byQuantile.get(1));
      assertThat(byQuantile.get(1)).isLessThanOrEqualTo(byQuantile.get(2));
      assertThat(only(results, "Model version served / newest")).isEqualTo(version);
      assertThat(only(results, "Model version served / oldest")).isEqualTo(version);
      assertThat(results.get("Consumer lag / {{operator_name}}").keySet())
          .containsExactlyInAnyOrder("{operator_name=Source:_ratings}", "{operator_name=Source:_model_updates}");
      assertThat(only(results, "Checkpoints completed and failed / completed")).isPositive();
      assertThat(only(results, "Checkpoint duration / last checkpoint")).isNotNegative();

      // the job is healthy: no model failed to load and lists keep coming
      assertThat(alertResults).containsEntry("RecsysModelLoadFailed", 0).containsEntry("RecsysNoRecommendations", 0);

      // Prometheus loaded every rule of the file and evaluates each without error
      await(() -> rules(prom).size() == alerts.size() && rules(prom).stream().allMatch(r -> !r.path("lastEvaluation").asText().startsWith("0001")),
          prom, "rules evaluated");
      List<JsonNode> rules = rules(prom);
      assertThat(rules).extracting(r -> r.path("name").asText())
          .containsExactlyInAnyOrderElementsOf(alerts.stream().map(MonitoringFiles.Alert::name).toList());
      assertThat(rules).allSatisfy(r -> {
        assertThat(r.path("health").asText()).as(r.path("name").asText() + ": " + r.path("lastError").asText()).isEqualTo("ok");
        assertThat(r.path("type").asText()).isEqualTo("alerting");
      });
      assertThat(rules).filteredOn(r -> List.of("RecsysModelLoadFailed", "RecsysNoRecommendations").contains(r.path("name").asText()))
          .hasSize(2).allSatisfy(r -> assertThat(r.path("state").asText()).as(r.path("name").asText()).isEqualTo("inactive"));
    } finally {
      Jobs.cancel(job, Duration.ofMinutes(1));
    }
  }

  /** Grafana's variables as Grafana would fill them in for this run. */
  private static String grafana(String expr) {
    return expr.replace("$__rate_interval", RATE_INTERVAL).replace("$job", MonitoringFiles.labelValue(JOB));
  }

  private int publishModel() throws Exception {
    Path bundle = tmp.resolve("bundle");
    RandomBundle.write(bundle, new Architecture(ModelType.DAE, ITEMS, new int[0], 8), LongStream.rangeClosed(1, ITEMS).toArray(), 7);
    return new ModelRegistry(tmp.resolve("registry")).publish(MODEL, bundle).version();
  }

  private JobClient startJob(String bootstrap, int reporterPort) throws Exception {
    JobConfig cfg = JobConfig.defaults()
        .set(JobConfig.JOB_NAME.key(), JOB)
        .set(JobConfig.BOOTSTRAP, bootstrap)
        .set(JobConfig.STARTING_OFFSETS, JobConfig.StartingOffsets.EARLIEST)
        .set(JobConfig.REGISTRY, tmp.resolve("registry").toString())
        .set(JobConfig.MODEL_NAME, MODEL)
        .set(JobConfig.PARALLELISM, 2)
        .set(JobConfig.CHECKPOINT_DIR, tmp.resolve("checkpoints").toString())
        .set(JobConfig.CHECKPOINT_INTERVAL, Duration.ofSeconds(1))
        // the reporter as the compose file and the chart configure it, on a free port
        .setFlinkProperty("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
        .setFlinkProperty("metrics.reporter.prom.port", String.valueOf(reporterPort))
        .validate();
    StreamExecutionEnvironment env = JobEnvironment.create(cfg, null);
    RecommenderJob.build(cfg, KafkaIO.ratings(env, cfg), KafkaIO.modelUpdates(env, cfg), KafkaIO.recommendations(cfg), KafkaIO.modelMetrics(cfg),
        KafkaIO.deadLetters(cfg));
    JobClient job = env.executeAsync(cfg.get(JobConfig.JOB_NAME));
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (job.getJobStatus().get() != JobStatus.RUNNING) {
      assertThat(System.nanoTime()).as("job running").isLessThan(deadline);
      Thread.sleep(100);
    }
    return job;
  }

  /** Valid ratings over a few seconds (so rates have a slope), bad ones among them, and a bad announcement. */
  private static void produce(String bootstrap) throws Exception {
    SplittableRandom rnd = new SplittableRandom(11);
    try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(KafkaClients.idempotentProducer(bootstrap), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < VALID; i++) {
        long user = 1 + rnd.nextInt(USERS);
        RatingEvent e = new RatingEvent(user, 1 + rnd.nextInt(ITEMS), 0.5 * (1 + rnd.nextInt(10)), System.currentTimeMillis());
        p.send(new ProducerRecord<>(Topics.RATINGS, Long.toString(user).getBytes(StandardCharsets.UTF_8), JsonCodec.RATING.encode(e)));
        if (i % (VALID / BAD) == 0 && i / (VALID / BAD) < BAD) {
          p.send(new ProducerRecord<>(Topics.RATINGS, "?".getBytes(StandardCharsets.UTF_8), ("not a rating " + i).getBytes(StandardCharsets.UTF_8)));
        }
        Thread.sleep(25);
      }
      p.send(new ProducerRecord<>(Topics.MODEL_UPDATES, MODEL.getBytes(StandardCharsets.UTF_8), "not an announcement".getBytes(StandardCharsets.UTF_8)));
      p.flush();
    }
  }

  /** The vector result: labels (without the metric's name) -> value. */
  private static Map<String, Double> series(JsonNode response) {
    Map<String, Double> out = new TreeMap<>();
    for (JsonNode s : response.path("data").path("result")) {
      TreeMap<String, String> labels = new TreeMap<>();
      s.path("metric").fields().forEachRemaining(f -> {
        if (!f.getKey().equals("__name__")) {
          labels.put(f.getKey(), f.getValue().asText());
        }
      });
      out.put(labels.toString(), Double.parseDouble(s.path("value").get(1).asText()));
    }
    return out;
  }

  /** A query's single value, 0 when it has no series. */
  private static double value(PrometheusServer prom, String expr) throws Exception {
    JsonNode r = prom.query(expr);
    assertThat(r.path("status").asText()).as(expr + ": " + r).isEqualTo("success");
    Map<String, Double> s = series(r);
    assertThat(s.size()).as(expr + ": " + s).isLessThanOrEqualTo(1);
    return s.isEmpty() ? 0 : s.values().iterator().next();
  }

  private static double only(Map<String, Map<String, Double>> results, String key) {
    assertThat(results).containsKey(key);
    assertThat(results.get(key)).as(key).hasSize(1);
    return results.get(key).values().iterator().next();
  }

  private static List<JsonNode> rules(PrometheusServer prom) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    prom.get("/api/v1/rules?type=alert").path("data").path("groups").forEach(g -> g.path("rules").forEach(out::add));
    return out;
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void await(Check c, PrometheusServer prom, String what) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!c.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + WAIT + "; prometheus log:\n" + prom.log());
      }
      Thread.sleep(500);
    }
  }

  /** Waits until the check has held for 3 seconds in a row (the job may still be emitting). */
  private static void awaitStable(Check c, PrometheusServer prom) throws Exception {
    long since = -1;
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (since < 0 || System.nanoTime() - since < Duration.ofSeconds(3).toNanos()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("recommendationsOut never settled on the topic's count; prometheus log:\n" + prom.log());
      }
      if (c.holds()) {
        since = since < 0 ? System.nanoTime() : since;
      } else {
        since = -1;
      }
      Thread.sleep(500);
    }
  }

  /** Counts the records of a topic as they arrive, on a thread of its own. */
  private static final class TopicCounter implements AutoCloseable {
    private final AtomicLong count = new AtomicLong();
    private volatile boolean running = true;
    private final Thread thread;

    TopicCounter(String bootstrap, String topic) {
      var props = KafkaClients.readCommittedConsumer(bootstrap, "monitoring-test-" + topic + "-" + System.nanoTime());
      props.put("auto.offset.reset", "earliest");
      thread = new Thread(() -> {
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
          c.subscribe(List.of(topic));
          while (running) {
            count.addAndGet(c.poll(Duration.ofMillis(200)).count());
          }
        }
      }, "count-" + topic);
      thread.setDaemon(true);
      thread.start();
    }

    long count() {
      return count.get();
    }

    @Override
    public void close() throws InterruptedException {
      running = false;
      thread.join(10_000);
    }
  }
}
