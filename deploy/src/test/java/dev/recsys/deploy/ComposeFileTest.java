package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.recsys.job.JobCommand;
import dev.recsys.job.JobConfig;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml agrees with the code it runs: the job's arguments parse with the job's own
 * CLI, every container reaches Kafka on the listener advertised to containers, and the registry
 * and checkpoint paths the job is given are the volumes mounted there.
 */
class ComposeFileTest {

  static Map<String, Object> compose;
  static Map<String, Object> services;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void load() throws Exception {
    compose = new Yaml().load(Files.readString(Repo.ROOT.resolve("docker-compose.yml")));
    services = (Map<String, Object>) compose.get("services");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> service(String name) {
    return (Map<String, Object>) services.get(name);
  }

  @SuppressWarnings("unchecked")
  static List<String> list(Map<String, Object> service, String key) {
    return (List<String>) service.get(key);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> env(String service) {
    return (Map<String, Object>) service(service).get("environment");
  }

  /** host:port of the Kafka listener advertised to other containers. */
  static String internalBootstrap() {
    String advertised = (String) env("kafka").get("KAFKA_ADVERTISED_LISTENERS");
    String inter = (String) env("kafka").get("KAFKA_INTER_BROKER_LISTENER_NAME");
    for (String l : advertised.split(",")) {
      if (l.startsWith(inter + "://")) {
        return l.substring(inter.length() + 3);
      }
    }
    throw new AssertionError("no " + inter + " listener in " + advertised);
  }

  @Test
  void imagesArePinnedAndBuiltFromTheDockerfilesStages() throws Exception {
    List<String> stages = Repo.dockerfileStages();
    services.forEach((name, s) -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> svc = (Map<String, Object>) s;
      String image = (String) svc.get("image");
      assertThat(image).as(name).matches(".+:v?[0-9][\\w.-]*").doesNotEndWith(":latest");
      if (svc.get("build") instanceof Map<?, ?> build) {
        assertThat(stages).as(name + " build target").contains((String) build.get("target"));
      }
    });
  }

  @Test
  void jobManagerRunsTheJobWithArgumentsTheJobAccepts() throws Exception {
    List<String> cmd = list(service("jobmanager"), "command");
    assertThat(cmd.subList(0, 3)).containsExactly("standalone-job", "--job-classname", JobCommand.class.getName());
    JobCommand job = new JobCommand();
    new picocli.CommandLine(job).parseArgs(cmd.subList(3, cmd.size()).toArray(String[]::new));
    JobConfig c = job.config();
    assertThat(c.get(JobConfig.BOOTSTRAP)).isEqualTo(internalBootstrap());

    // the registry the job reads and the checkpoints it writes are shared volumes of both Flink services
    for (String flink : List.of("jobmanager", "taskmanager")) {
      List<String> volumes = list(service(flink), "volumes");
      assertThat(volumes).as(flink).contains("registry:" + c.get(JobConfig.REGISTRY) + ":ro");
      assertThat(volumes).as(flink).contains("checkpoints:" + Path.of(java.net.URI.create(c.get(JobConfig.CHECKPOINT_DIR))));
    }
    assertThat(list(service("model-init"), "volumes")).contains("registry:" + c.get(JobConfig.REGISTRY));
    // a restarted job manager resumes from the checkpoints the job writes
    assertThat(cmd).containsSubsequence("--restore-latest", Path.of(java.net.URI.create(c.get(JobConfig.CHECKPOINT_DIR))).toString());
    assertThat(c.get(JobConfig.CHECKPOINT_RETAIN)).isTrue();
    // the task manager keeps the changelog beside the job's checkpoints (Flink adds <job id>/dstl)
    Map<String, String> tm = entryPointProperties((String) env("taskmanager").get("FLINK_PROPERTIES"), Map.of());
    assertThat(tm).containsEntry("state.changelog.enabled", "true").containsEntry("state.changelog.storage", "filesystem")
        .containsEntry("state.changelog.dstl.dfs.base-path", c.checkpointDirectory())
        .containsEntry("state.changelog.dstl.dfs.preemptive-persist-threshold", "1mb");
  }

  @Test
  @SuppressWarnings("unchecked")
  void flinkPropertiesSurviveTheEntryPointsParsing() {
    for (String flink : List.of("jobmanager", "taskmanager")) {
      String block = (String) env(flink).get("FLINK_PROPERTIES");
      // what the YAML says, and what flink-docker's entry point makes of it, must be the same
      Map<String, String> meant = new LinkedHashMap<>();
      ((Map<String, Object>) new Yaml().load(new StringReader(block))).forEach((k, v) -> meant.put(k, String.valueOf(v)));
      assertThat(entryPointProperties(block, Map.of())).as(flink).isEqualTo(meant);
      // unquoted expansions in the entry point would also glob
      assertThat(block).as(flink).doesNotContainPattern("[*?\\[]");
      assertThat(meant.get("jobmanager.rpc.address")).isEqualTo("jobmanager").matches(services::containsKey);
      assertThat(meant.get("state.backend.type")).isEqualTo("rocksdb");
      assertThat(meant).containsEntry("env.java.opts.taskmanager", "-XX:MaxGCPauseMillis=20");
    }
    // the parsing is the entry point's: it turns a comment into a key and joins JVM flags into one
    assertThat(entryPointProperties("# off-heap: budget it\nenv.java.opts.all: -Da=1 -Db=2\n\nx: $HOME/y\n", Map.of("HOME", "/h")))
        .containsExactly(Map.entry("#off-heap", "budgetit"), Map.entry("env.java.opts.all", "-Da=1-Db=2"), Map.entry("x", "/h/y"));
  }

  /**
   * FLINK_PROPERTIES as flink-docker 2.2's docker-entrypoint.sh (process_flink_properties) applies
   * it: split into lines, every whitespace character of a line deleted ({@code tr -d
   * '[:space:]'}, FLINK-38587), empty lines skipped, the key up to the first colon and the value
   * after it ({@code IFS=':' read -r key value}), and the value through {@code envsubst}.
   */
  static Map<String, String> entryPointProperties(String block, Map<String, String> environment) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : block.split("\n")) {
      String prop = line.replaceAll("[ \\t\\n\\x0B\\f\\r]", "");
      if (prop.isEmpty()) {
        continue;
      }
      int colon = prop.indexOf(':');
      String key = colon < 0 ? prop : prop.substring(0, colon);
      String value = colon < 0 ? "" : prop.substring(colon + 1);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)}?").matcher(value);
      value = m.replaceAll(r -> java.util.regex.Matcher.quoteReplacement(environment.getOrDefault(r.group(1), "")));
      out.put(key, value);
    }
    return out;
  }

  @Test
  void imagesBuiltHereArePinnedToAmd64AndTheJobDoesNotWaitForTraining() {
    services.forEach((name, s) -> {
      @SuppressWarnings("unchecked")
      Map<String, Object> svc = (Map<String, Object>) s;
      if (svc.containsKey("build")) {
        assertThat(svc.get("platform")).as(name).isEqualTo("linux/amd64");
      }
    });
    // the job starts once the topics exist and serves the first model when model-init announces it
    @SuppressWarnings("unchecked")
    Map<String, Object> dependsOn = (Map<String, Object>) service("jobmanager").get("depends_on");
    assertThat(dependsOn).containsOnlyKeys("topics");
  }

  @Test
  void toolsUseTheInternalListenerAndTheOneRegistry() {
    List<String> topics = list(service("topics"), "command");
    ShellScripts.parse(topics);
    assertThat(topics).containsSubsequence("--bootstrap", internalBootstrap());

    assertThat(env("model-init")).containsEntry("RECSYS_REGISTRY", "/registry");
  }

  @Test
  void modelInitTrainsAndPublishesTheModelTheJobServes(@TempDir Path tmp) throws Exception {
    assertThat(list(service("model-init"), "entrypoint")).containsExactly("/bin/sh", "-c");
    String script = list(service("model-init"), "command").get(0).replace("$$", "$"); // compose's escape for $
    assertThat(script).contains("/registry/" + JobConfig.MODEL_NAME.defaultValue() + "/current.json");
    // no ./data/ratings.csv in the container here: generate, then train on what was generated
    List<List<String>> calls = ShellScripts.recsysCalls(tmp, script, Map.of());
    assertThat(calls).hasSize(2);
    assertThat(calls.get(0)).startsWith("synth", "--out", "/work/synth");
    assertThat(calls.get(1)).startsWith("train", "--ratings", "/work/synth/ratings.csv")
        .containsSubsequence("--publish").containsSubsequence("--bootstrap", internalBootstrap());
    calls.forEach(ShellScripts::parse);

    // a single broker: internal topics must not ask for more replicas than there are brokers
    assertThat(env("kafka")).containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", 1)
        .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", 1)
        .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", 1);
  }

  @Test
  void dockerComposeAcceptsTheFile() throws Exception {
    assumeTrue(onPath("docker-compose"), "docker-compose is not installed");
    Process p = new ProcessBuilder("docker-compose", "-f", Repo.ROOT.resolve("docker-compose.yml").toString(), "config", "-q")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  static boolean onPath(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
