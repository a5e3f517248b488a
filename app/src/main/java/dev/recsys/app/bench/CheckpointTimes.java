package dev.recsys.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The checkpoints a job took in a window, from its REST API: for the scoring task, the parts that
 * hold it (the synchronous part runs on the task thread, so lists wait behind it) and the barrier
 * alignment. Latency outliers line up with these, so the harness prints them next to each load.
 */
final class CheckpointTimes {

  /** One completed checkpoint, as the scoring subtask (the slowest of them) saw it; times in ms. */
  record Checkpoint(long id, long triggeredAt, long sizeBytes, long sync, long async, long alignment, long startDelay) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  /** How the scoring task's name begins. */
  static final String SCORING_VERTEX = "score users";

  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;

  CheckpointTimes(int restPort) {
    this.base = "http://127.0.0.1:" + restPort;
  }

  /** The running job's completed checkpoints triggered in [fromMs, toMs], oldest first. */
  List<Checkpoint> between(long fromMs, long toMs) throws IOException, InterruptedException {
    JsonNode running = null;
    for (JsonNode j : get("/jobs/overview").path("jobs")) {
      if ("RUNNING".equals(j.path("state").asText())) {
        running = j;
      }
    }
    if (running == null) {
      throw new IOException("no running job at " + base);
    }
    String job = running.path("jid").asText();
    String vertex = null;
    for (JsonNode v : get("/jobs/" + job).path("vertices")) {
      if (v.path("name").asText().startsWith(SCORING_VERTEX)) {
        vertex = v.path("id").asText();
      }
    }
    if (vertex == null) {
      throw new IOException("job " + job + " has no vertex named '" + SCORING_VERTEX + "...'");
    }
    List<Checkpoint> out = new ArrayList<>();
    for (JsonNode c : get("/jobs/" + job + "/checkpoints").path("history")) {
      long at = c.path("trigger_timestamp").asLong();
      if (!"COMPLETED".equals(c.path("status").asText()) || at < fromMs || at > toMs) {
        continue;
      }
      long id = c.path("id").asLong();
      long sync = 0;
      long async = 0;
      long alignment = 0;
      long startDelay = 0;
      for (JsonNode s : get("/jobs/" + job + "/checkpoints/details/" + id + "/subtasks/" + vertex).path("subtasks")) {
        JsonNode parts = s.path("checkpoint");
        sync = Math.max(sync, parts.path("sync").asLong());
        async = Math.max(async, parts.path("async").asLong());
        alignment = Math.max(alignment, s.path("alignment").path("duration").asLong());
        startDelay = Math.max(startDelay, s.path("start_delay").asLong());
      }
      out.add(new Checkpoint(id, at, c.path("checkpointed_size").asLong(), sync, async, alignment, startDelay));
    }
    out.sort((a, b) -> Long.compare(a.id(), b.id()));
    return out;
  }

  /** One line for a window: each checkpoint's time and the scoring task's parts. */
  static String describe(List<Checkpoint> cps) {
    if (cps.isEmpty()) {
      return "no checkpoint completed in the window";
    }
    StringBuilder b = new StringBuilder(cps.size() + " checkpoint(s); the scoring task's synchronous / asynchronous part, alignment, start delay:");
    for (Checkpoint c : cps) {
      b.append(String.format(" [%s: %d / %d / %d / %d ms, %.1f MB]", java.time.Instant.ofEpochMilli(c.triggeredAt()), c.sync(), c.async(),
          c.alignment(), c.startDelay(), c.sizeBytes() / 1e6));
    }
    return b.toString();
  }

  private JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + path + ": HTTP " + r.statusCode());
    }
    return JSON.readTree(r.body());
  }
}
