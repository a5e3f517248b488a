package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.recsys.job.JobCommand;
import dev.recsys.job.JobConfig;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
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
  }

  @Test
  @SuppressWarnings("unchecked")
  void flinkProcessesFindTheJobManagerAndRunDjlOffline() {
    for (String flink : List.of("jobmanager", "taskmanager")) {
      Map<String, Object> props = new Yaml().load(new StringReader((String) env(flink).get("FLINK_PROPERTIES")));
      assertThat(props.get("jobmanager.rpc.address")).isEqualTo("jobmanager").matches(services::containsKey);
      assertThat((String) props.get("env.java.opts.all")).contains("-Dai.djl.offline=true");
      assertThat(props.get("state.backend.type")).isEqualTo("rocksdb");
    }
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
