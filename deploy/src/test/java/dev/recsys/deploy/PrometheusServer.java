package dev.recsys.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real Prometheus server (Debian's {@code prometheus} package, which {@code .ci/run} installs)
 * in a process of its own, on loopback, with a generated configuration, and its HTTP API.
 */
final class PrometheusServer implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Process process;
  private final Path log;
  private final URI base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The prometheus binary: on the PATH or where Debian puts it. */
  static Optional<Path> binary() {
    return command("prometheus");
  }

  /** promtool, from the same package. */
  static Optional<Path> promtool() {
    return command("promtool");
  }

  private static Optional<Path> command(String name) {
    for (String dir : (System.getenv().getOrDefault("PATH", "") + java.io.File.pathSeparator + "/usr/bin").split(java.io.File.pathSeparator)) {
      Path p = Path.of(dir, name);
      if (!dir.isEmpty() && Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Starts Prometheus scraping {@code target} (host:port) every second and evaluating the given
   * rule files every second; returns once it is ready.
   */
  static PrometheusServer start(Path dir, String target, List<Path> ruleFiles) throws Exception {
    Path binary = binary().orElseThrow();
    Files.createDirectories(dir);
    StringBuilder config = new StringBuilder()
        .append("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
        .append("rule_files:\n");
    for (Path r : ruleFiles) {
      config.append("  - '").append(r.toAbsolutePath()).append("'\n");
    }
    config.append("scrape_configs:\n  - job_name: flink\n    static_configs:\n      - targets: ['").append(target).append("']\n");
    Path configFile = Files.writeString(dir.resolve("prometheus.yml"), config);
    int port = freePort();
    Path log = dir.resolve("prometheus.log");
    Process p = new ProcessBuilder(binary.toString(), "--config.file=" + configFile, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    PrometheusServer server = new PrometheusServer(p, log, URI.create("http://127.0.0.1:" + port));
    try {
      server.awaitReady();
    } catch (Exception e) {
      server.close();
      throw e;
    }
    return server;
  }

  private PrometheusServer(Process process, Path log, URI base) {
    this.process = process;
    this.log = log;
    this.base = base;
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("prometheus exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        if (http.send(HttpRequest.newBuilder(base.resolve("/-/ready")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("prometheus was not ready within a minute:\n" + log());
  }

  /** GET on the HTTP API; the parsed body, whatever its status (errors carry errorType and error). */
  JsonNode get(String pathAndQuery) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }

  /** An instant query (/api/v1/query) at the current time. */
  JsonNode query(String promql) throws Exception {
    return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
