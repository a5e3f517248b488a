package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.recsys.job.JobCommand;
import dev.recsys.job.JobConfig;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart lints and renders, and what it renders agrees with the code: the job's arguments
 * and settings parse with the job's own CLI and {@link JobConfig}, and paths line up between the
 * image, the volumes and the settings.
 */
class HelmChartTest {

  static final Path CHART = Repo.ROOT.resolve("helm/recsys");

  @TempDir Path tmp;

  @Test
  void lintsCleanAndRefusesToRenderWithoutKafka() throws Exception {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
    // helm lint does not enforce `required`; rendering does
    assertThatThrownBy(() -> template(CHART, Map.of()).call()).hasMessageContaining("kafka.bootstrap is required");
  }

  @Test
  void flinkDeploymentRunsTheImagesJobWithSettingsTheJobAccepts() throws Exception {
    List<Map<String, Object>> docs = render(Map.of("kafka.bootstrap", "my-kafka:9092", "job.settings.batch\\.size", "128"));
    Map<String, Object> fd = only(docs, "FlinkDeployment");
    Map<String, Object> spec = map(fd, "spec");
    assertThat(spec.get("image")).isEqualTo("recsys/flink:0.1.0");
    assertThat(spec.get("flinkVersion")).isEqualTo("v2_2");

    Map<String, Object> job = map(spec, "job");
    assertThat(job.get("jarURI")).isEqualTo("local://" + Repo.dockerfileFlinkJobJar());
    assertThat(job.get("entryClass")).isEqualTo(JobCommand.class.getName());
    assertThat(job.get("upgradeMode")).isEqualTo("savepoint");
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) job.get("args");
    JobCommand cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs(args.toArray(String[]::new));

    // the settings file: mounted where the arguments say, and every key a JobConfig key
    Map<String, Object> container = mainContainer(spec);
    String configPath = args.get(args.indexOf("--config") + 1);
    String configDir = Path.of(configPath).getParent().toString();
    assertThat(mountPath(container, "job-config")).isEqualTo(configDir);
    Properties props = new Properties();
    props.load(new StringReader((String) map(only(docs, "ConfigMap"), "data").get(Path.of(configPath).getFileName().toString())));
    JobConfig config = JobConfig.defaults();
    props.stringPropertyNames().forEach(k -> config.set(k, props.getProperty(k))); // refuses unknown keys
    assertThat(config.get(JobConfig.BOOTSTRAP)).isEqualTo("my-kafka:9092");
    assertThat(config.get(JobConfig.BATCH_SIZE)).isEqualTo(128);
    assertThat(config.get(JobConfig.PARALLELISM)).isEqualTo(map(spec, "job").get("parallelism"));
    assertThat(config.get(JobConfig.TX_PREFIX)).startsWith("rel-recsys");

    // the registry the job reads is the volume mounted there, read-only
    assertThat(mountPath(container, "registry")).isEqualTo(config.get(JobConfig.REGISTRY));
    // checkpoints: the job's directory is the cluster's, on the checkpoint volume
    Map<String, Object> flinkConf = map(spec, "flinkConfiguration");
    assertThat(flinkConf.get("execution.checkpointing.dir")).isEqualTo(config.get(JobConfig.CHECKPOINT_DIR)).isEqualTo("file:///checkpoints");
    assertThat(mountPath(container, "checkpoints")).isEqualTo("/checkpoints");
    assertThat(flinkConf.get("state.backend.type")).isEqualTo("rocksdb");
    assertThat(flinkConf.get("taskmanager.memory.task.off-heap.size")).isEqualTo("768m"); // libtorch's native memory
    assertThat((String) flinkConf.get("env.java.opts.all")).contains("-Dai.djl.offline=true");
    assertThat(flinkConf.get("high-availability.type")).isEqualTo("kubernetes");
    assertThat(flinkConf.get("metrics.reporter.prom.factory.class")).isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");

    // both claims are created and kept on uninstall
    List<Map<String, Object>> claims = all(docs, "PersistentVolumeClaim");
    assertThat(claims).extracting(c -> map(c, "metadata").get("name")).containsExactlyInAnyOrder("rel-recsys-registry", "rel-recsys-checkpoints");
    assertThat(claims).allSatisfy(c -> assertThat(map(map(c, "metadata"), "annotations")).containsEntry("helm.sh/resource-policy", "keep"));
  }

  @Test
  void objectStoreCheckpointsReplaceTheVolumeAndEnableThePlugin() throws Exception {
    List<Map<String, Object>> docs = render(Map.of("kafka.bootstrap", "k:9092", "checkpoints.dir", "s3://bucket/recsys",
        "flinkPlugins[0]", "flink-s3-fs-presto-2.2.1.jar", "registry.existingClaim", "models"));
    Map<String, Object> spec = map(only(docs, "FlinkDeployment"), "spec");
    assertThat(map(spec, "flinkConfiguration")).containsEntry("execution.checkpointing.dir", "s3://bucket/recsys")
        .containsEntry("high-availability.storageDir", "s3://bucket/recsys/ha");
    Map<String, Object> container = mainContainer(spec);
    assertThat(mountPath(container, "checkpoints")).isNull();
    assertThat(container.get("env").toString()).contains("ENABLE_BUILT_IN_PLUGINS").contains("flink-s3-fs-presto-2.2.1.jar");
    assertThat(all(docs, "PersistentVolumeClaim")).isEmpty();
    assertThat(volumes(spec).toString()).contains("claimName=models");
  }

  @Test
  @SuppressWarnings("unchecked")
  void volumePermissionsInitContainerChownsTheCheckpointVolumeForFlink() throws Exception {
    Map<String, Object> podSpec = map(map(map(only(render(Map.of("kafka.bootstrap", "k:9092")), "FlinkDeployment"), "spec"), "podTemplate"), "spec");
    assertThat(podSpec).doesNotContainKey("initContainers");
    assertThat(map(podSpec, "securityContext")).containsEntry("fsGroup", 9999);
    podSpec = map(map(map(only(render(Map.of("kafka.bootstrap", "k:9092", "volumePermissions.enabled", "true")), "FlinkDeployment"),
        "spec"), "podTemplate"), "spec");
    Map<String, Object> init = ((List<Map<String, Object>>) podSpec.get("initContainers")).get(0);
    assertThat((List<String>) init.get("command")).containsExactly("chown", "9999:9999", "/checkpoints");
    assertThat(mountPath(init, "checkpoints")).isEqualTo("/checkpoints");
  }

  @Test
  void hooksRunCommandsTheCliAccepts() throws Exception {
    // helm-java's template leaves hooks out: render a copy of the chart in which they are plain resources
    String hooks = Files.readString(CHART.resolve("templates/hooks.yaml"));
    assertThat(hooks).contains("helm.sh/hook: pre-install,pre-upgrade").contains("helm.sh/hook: post-install");
    Path chart = tmp.resolve("recsys");
    copy(CHART, chart);
    Files.writeString(chart.resolve("templates/hooks.yaml"), hooks.replaceAll("(?m)^\\s*helm\\.sh/hook.*\\n", ""));
    List<Map<String, Object>> docs = render(chart, Map.of("kafka.bootstrap", "k:9092", "bootstrapModel.enabled", "true",
        "bootstrapModel.ratings", "/registry/data/ratings.csv", "kafka.clientProperties.security\\.protocol", "SSL"));
    List<Map<String, Object>> jobs = all(docs, "Job");
    assertThat(jobs).hasSize(2);
    Map<String, Object> topics = jobs.stream().filter(j -> name(j).endsWith("-topics")).findFirst().orElseThrow();
    Map<String, Object> c = podContainer(topics);
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) c.get("args");
    assertThat(args).containsSubsequence("topics", "create").containsSubsequence("--client-property", "security.protocol=SSL");
    ShellScripts.parse(args);
    assertThat(c.get("env").toString()).contains("RECSYS_BOOTSTRAP").contains("k:9092");

    Map<String, Object> train = jobs.stream().filter(j -> name(j).endsWith("-bootstrap-model")).findFirst().orElseThrow();
    String script = ((List<?>) podContainer(train).get("args")).get(0).toString();
    assertThat(script).contains("/registry/movielens/current.json"); // the model the job serves (model.name)
    List<List<String>> calls = ShellScripts.recsysCalls(tmp, script, Map.of("RECSYS_BOOTSTRAP", "k:9092"));
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)).containsExactly("train", "--ratings", "/registry/data/ratings.csv", "--name", "movielens", "--out",
        "/tmp/train", "--publish", "--bootstrap", "k:9092", "--no-progress", "--client-property", "security.protocol=SSL", "--epochs", "200");
    ShellScripts.parse(calls.get(0));
    assertThatThrownBy(() -> template(chart, Map.of("kafka.bootstrap", "k:9092", "bootstrapModel.enabled", "true")).call())
        .hasMessageContaining("bootstrapModel.ratings");
  }

  private static TemplateCommand template(Path chart, Map<String, String> values) {
    TemplateCommand t = new Helm(chart).template().withName("rel");
    values.forEach(t::set);
    return t;
  }

  private static List<Map<String, Object>> render(Map<String, String> values) {
    return render(CHART, values);
  }

  private static List<Map<String, Object>> render(Path chart, Map<String, String> values) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object d : new Yaml().loadAll(template(chart, values).call())) {
      if (d != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) d;
        docs.add(m);
      }
    }
    return docs;
  }

  static List<Map<String, Object>> all(List<Map<String, Object>> docs, String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  static Map<String, Object> only(List<Map<String, Object>> docs, String kind) {
    List<Map<String, Object>> found = all(docs, kind);
    assertThat(found).as(kind).hasSize(1);
    return found.get(0);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> m, String key) {
    return (Map<String, Object>) m.get(key);
  }

  private static String name(Map<String, Object> doc) {
    return (String) map(doc, "metadata").get("name");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> mainContainer(Map<String, Object> spec) {
    List<Map<String, Object>> containers = (List<Map<String, Object>>) map(map(spec, "podTemplate"), "spec").get("containers");
    return containers.stream().filter(c -> "flink-main-container".equals(c.get("name"))).findFirst().orElseThrow();
  }

  private static Object volumes(Map<String, Object> spec) {
    return map(map(spec, "podTemplate"), "spec").get("volumes");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> podContainer(Map<String, Object> job) {
    return ((List<Map<String, Object>>) map(map(map(job, "spec"), "template"), "spec").get("containers")).get(0);
  }

  @SuppressWarnings("unchecked")
  private static String mountPath(Map<String, Object> container, String volume) {
    return ((List<Map<String, Object>>) container.get("volumeMounts")).stream()
        .filter(m -> volume.equals(m.get("name"))).map(m -> (String) m.get("mountPath")).findFirst().orElse(null);
  }

  private static void copy(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }
}
