package dev.recsys.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.recsys.job.JobCommand;
import dev.recsys.job.JobConfig;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The Helm chart lints and renders, and what it renders agrees with the code and with what runs
 * it: the job's settings and arguments parse with the job's own CLI and {@link JobConfig} as the
 * operator hands them over, every FlinkDeployment is valid under the operator's CRD, every pod is
 * admitted by the "restricted" Pod Security level, and paths line up between the image, the
 * volumes and the settings.
 */
class HelmChartTest {

  static final Path CHART = Repo.ROOT.resolve("helm/recsys");
  /** The values files the README documents, besides the chart's defaults. */
  static final Path PRODUCTION_VALUES = CHART.resolve("examples/production-values.yaml");
  static final Path CRD = Repo.ROOT.getParent().resolve("shared/deploy/crds/flinkdeployments.flink.apache.org-v1.yml");

  static CrdSchema crd;
  private static Path chartWithHooks;

  @TempDir Path tmp;

  /** The operator's CRD from ../shared; the tests that need it are skipped, saying so, without it. */
  static synchronized CrdSchema crd() throws Exception {
    assumeTrue(Files.isRegularFile(CRD), "the operator's FlinkDeployment CRD is not at " + CRD + ": the CRD validation was not run");
    if (crd == null) {
      crd = CrdSchema.load(CRD, "v1beta1");
    }
    return crd;
  }

  /** A copy of the chart in which the hooks are plain resources (helm-java's template leaves hooks out). */
  static synchronized Path chartWithHooks() {
    if (chartWithHooks == null) {
      try {
        Path copy = Repo.ROOT.resolve("deploy/target/chart-with-hooks/recsys");
        if (Files.exists(copy)) {
          try (Stream<Path> old = Files.walk(copy)) {
            old.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
          }
        }
        copy(CHART, copy);
        Path hooks = copy.resolve("templates/hooks.yaml");
        Files.writeString(hooks, Files.readString(hooks).replaceAll("(?m)^\\s*helm\\.sh/hook.*\\n", ""));
        chartWithHooks = copy;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return chartWithHooks;
  }

  @Test
  void lintsCleanAndRefusesToRenderWithoutKafka() throws Exception {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
    // helm lint does not enforce `required`; rendering does
    assertThatThrownBy(() -> template(CHART, Map.of()).call()).hasMessageContaining("kafka.bootstrap is required");
  }

  @Test
  void valuesSchemaRefusesBadValuesNamingThem() {
    Map<String, String> cases = Map.of(
        "job.upgradeMode", "savepoints",
        "flinkVersion", "v1_20",
        "image.flink.digest", "latest",
        "taskManager.slots", "two",
        "metrics.podMonitor.labels", "release");
    cases.forEach((key, bad) -> assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", key, bad)))
        .as(key).hasMessageContaining("values don't meet the specifications of the schema").hasMessageContaining(key));
    assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", "job.upgradeMode", "savepoints")))
        .hasMessageContaining("must be one of the following").hasMessageContaining("\"savepoint\", \"last-state\", \"stateless\"");
  }

  @Test
  void jobSettingsReachTheJobThroughTheFlinkConfiguration() throws Exception {
    Map<String, Object> spec = flinkDeploymentSpec(Map.of("kafka.bootstrap", "my-kafka:9092", "job.settings.batch\\.size", "128",
        "job.parallelism", "3", "kafka.clientProperties.security\\.protocol", "SASL_SSL"));
    assertThat(spec.get("image")).isEqualTo("recsys/flink:0.1.0");
    assertThat(spec.get("flinkVersion")).isEqualTo("v2_2");
    Map<String, Object> job = map(spec, "job");
    assertThat(job.get("jarURI")).isEqualTo("local://" + Repo.dockerfileFlinkJobJar());
    assertThat(job.get("entryClass")).isEqualTo(JobCommand.class.getName());
    assertThat(job.get("upgradeMode")).isEqualTo("savepoint");

    JobConfig config = jobConfigAsTheOperatorStartsIt(spec, clientProperties(Map.of("kafka.bootstrap", "my-kafka:9092",
        "kafka.clientProperties.security\\.protocol", "SASL_SSL")));
    assertThat(config.get(JobConfig.BOOTSTRAP)).isEqualTo("my-kafka:9092");
    assertThat(config.get(JobConfig.BATCH_SIZE)).isEqualTo(128);
    assertThat(config.get(JobConfig.BATCH_TIMEOUT)).hasMillis(20); // values.yaml's setting
    assertThat(config.get(JobConfig.PARALLELISM)).isEqualTo(3).isEqualTo(job.get("parallelism"));
    assertThat(config.get(JobConfig.JOB_NAME)).isEqualTo("rel-recsys");
    assertThat(config.group()).isEqualTo("rel-recsys");
    assertThat(config.kafkaClientProperties()).containsEntry("security.protocol", "SASL_SSL");

    // the registry the job reads is the volume mounted there, read-only
    Map<String, Object> container = mainContainer(spec);
    assertThat(mountPath(container, "registry")).isEqualTo(config.get(JobConfig.REGISTRY));
    // checkpoints: the job's directory is the cluster's, on the checkpoint volume
    Map<String, Object> flinkConf = map(spec, "flinkConfiguration");
    assertThat(flinkConf.get("execution.checkpointing.dir")).isEqualTo(config.get(JobConfig.CHECKPOINT_DIR)).isEqualTo("file:///checkpoints");
    assertThat(mountPath(container, "checkpoints")).isEqualTo("/checkpoints");
    // the changelog's log beside the job's checkpoints (Flink adds <job id>/dstl), and restores that claim
    assertThat(flinkConf).containsEntry("state.changelog.enabled", "true").containsEntry("state.changelog.storage", "filesystem")
        .containsEntry("state.changelog.dstl.dfs.base-path", config.checkpointDirectory())
        .containsEntry("state.changelog.dstl.dfs.preemptive-persist-threshold", "1 mb")
        .containsEntry("execution.state-recovery.claim-mode", "CLAIM");
    assertThat(flinkConf).containsEntry("state.backend.type", "rocksdb")
        .containsEntry("taskmanager.memory.task.off-heap.size", "768m") // libtorch's native memory
        .containsEntry("high-availability.type", "kubernetes")
        .containsEntry("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    // the operator hands Flink text: every value is a string, so nothing is re-typed on the way
    assertThat(flinkConf.values()).allMatch(v -> v instanceof String);
  }

  @Test
  void changedSettingsChangeTheSpecSoTheOperatorUpgradesTheJob() throws Exception {
    Map<String, String> base = Map.of("kafka.bootstrap", "k:9092");
    Map<String, Object> before = flinkDeploymentSpec(base);
    Map<String, Object> newSetting = flinkDeploymentSpec(with(base, "job.settings.scoring\\.top-k", "20"));
    assertThat(map(newSetting, "flinkConfiguration")).containsEntry("scoring.top-k", "20");
    assertThat(newSetting).isNotEqualTo(before);

    // client properties reach the job as a mounted file: its checksum is on the pod template
    Map<String, String> changed = with(base, "kafka.clientProperties.client\\.dns\\.lookup", "use_all_dns_ips");
    Map<String, Object> newClientProperty = flinkDeploymentSpec(changed);
    assertThat(annotations(newClientProperty)).isNotEqualTo(annotations(before));
    for (Map<String, String> values : List.of(base, changed)) {
      String file = clientProperties(values);
      assertThat(file).endsWith("\n"); // the ConfigMap's block scalar adds the final newline
      assertThat(annotations(flinkDeploymentSpec(values))).containsEntry("checksum/kafka-client", sha256(file.substring(0, file.length() - 1)));
    }
    // the same values render the same spec: an upgrade without changes restarts nothing
    assertThat(flinkDeploymentSpec(base)).isEqualTo(before);
  }

  @Test
  void flinkConfigurationHasNoOverlappingKeysAndRefusesSecrets() {
    // the operator (release 1.15.0, FlinkConfMountDecorator.validateConfigKeysForV2) refuses keys
    // that are the prefix of another for Flink 2; it adds these keys itself
    List<String> operatorKeys = List.of("parallelism.default", "kubernetes.cluster-id", "kubernetes.namespace", "kubernetes.container.image.ref",
        "jobmanager.memory.process.size", "taskmanager.memory.process.size", "kubernetes.jobmanager.replicas", "execution.target",
        "$internal.application.main", "$internal.application.program-args", "pipeline.jars", "high-availability.cluster-id");
    for (Map<String, Object> fd : everyFlinkDeployment()) {
      List<String> keys = new ArrayList<>(map(map(fd, "spec"), "flinkConfiguration").keySet());
      keys.addAll(operatorKeys);
      for (String a : keys) {
        assertThat(keys).as("keys under %s.", a).noneMatch(b -> b.startsWith(a + "."));
      }
    }
    assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", "job.settings.parallelism", "4")))
        .hasMessageContaining("job.settings.parallelism: use job.parallelism");
    assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", "flinkConfiguration.metrics\\.reporter\\.prom", "x")))
        .hasMessageContaining("metrics.reporter.prom and metrics.reporter.prom.factory.class overlap");
    assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", "flinkConfiguration.s3\\.secret-key", SecretsTest.PASSWORD)))
        .hasMessageContaining("flinkConfiguration.s3.secret-key looks like a secret").hasMessageNotContaining(SecretsTest.PASSWORD);
    assertThatThrownBy(() -> render(Map.of("kafka.bootstrap", "k:9092", "job.settings.registry\\.root", "/models")))
        .hasMessageContaining("job.settings.registry.root is set by the chart");
  }

  @Test
  void everyFlinkDeploymentIsValidUnderTheOperatorsCrd() throws Exception {
    List<Map<String, Object>> all = everyFlinkDeployment();
    assertThat(all).hasSizeGreaterThanOrEqualTo(4);
    for (Map<String, Object> fd : all) {
      assertThat(fd.get("apiVersion")).isEqualTo(crd().apiVersion());
      assertThat(crd().violations(fd)).as("%s", fd).isEmpty();
      // Flink's cluster id (the deployment's name) must be a DNS-1035 label of at most 45 characters
      assertThat((String) map(fd, "metadata").get("name")).matches("[a-z]([-a-z0-9]{0,43}[a-z0-9])?");
    }
    // the validator is not a formality: a misspelt field, a wrong type and an unknown version fail
    Map<String, Object> fd = all.get(0);
    assertThat(crd().violations(edit(fd, s -> map(s, "jobManager").put("replica", 1)))).anyMatch(m -> m.contains("replica"));
    assertThat(crd().violations(edit(fd, s -> map(s, "taskManager").put("resource", Map.of("cpu", "two"))))).anyMatch(m -> m.contains("cpu"));
    assertThat(crd().violations(edit(fd, s -> s.put("flinkVersion", "v2_9")))).anyMatch(m -> m.contains("flinkVersion"));
    assertThat(crd().violations(edit(fd, s -> mainContainer(s).put("securityContext", Map.of("runAsUser", "flink")))))
        .anyMatch(m -> m.contains("runAsUser"));
    // int-or-string (x-kubernetes-int-or-string) takes both, and only those
    assertThat(crd().violations(edit(fd, s -> mainContainer(s).put("ports", List.of(Map.of("containerPort", 9249, "name", "m"))))))
        .isEmpty();
    assertThat(crd().violations(edit(fd, s -> mainContainer(s).put("readinessProbe", Map.of("httpGet", Map.of("port", "metrics"))))))
        .isEmpty();
    assertThat(crd().violations(edit(fd, s -> mainContainer(s).put("readinessProbe", Map.of("httpGet", Map.of("port", 1.5))))))
        .anyMatch(m -> m.contains("port"));
  }

  @Test
  void everyPodIsAdmittedByTheRestrictedPodSecurityLevel() throws Exception {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Map<String, String> values : valueSets()) {
      docs.addAll(renderWithHooks(values));
    }
    docs.addAll(renderWithHooks(PRODUCTION_VALUES, Map.of()));
    int pods = 0;
    for (Map<String, Object> d : docs) {
      Map<String, Object> podSpec = podSpec(d);
      if (podSpec != null) {
        assertThat(PodSecurity.restrictedViolations(d.get("kind") + " " + name(d), podSpec)).isEmpty();
        assertThat(map(podSpec, "securityContext")).containsEntry("runAsUser", Repo.imageUid()).containsEntry("fsGroup", Repo.imageUid());
        pods++;
      }
    }
    assertThat(pods).isGreaterThanOrEqualTo(6);
    // the one exception, off by default and documented: chown of storage that ignores fsGroup
    Map<String, Object> spec = flinkDeploymentSpec(Map.of("kafka.bootstrap", "k:9092", "volumePermissions.enabled", "true"));
    assertThat(PodSecurity.restrictedViolations("chown", map(map(spec, "podTemplate"), "spec")))
        .containsExactlyInAnyOrder("chown container checkpoint-permissions: runAsNonRoot is not true",
            "chown container checkpoint-permissions: runAsUser 0", "chown container checkpoint-permissions: adds capability CHOWN");
  }

  @Test
  void objectStoreCheckpointsReplaceTheVolumeAndEnableThePlugin() throws Exception {
    List<Map<String, Object>> docs = render(Map.of("kafka.bootstrap", "k:9092", "checkpoints.dir", "s3://bucket/recsys",
        "flinkPlugins[0]", "flink-s3-fs-presto-2.2.1.jar", "registry.existingClaim", "models"));
    Map<String, Object> spec = map(only(docs, "FlinkDeployment"), "spec");
    assertThat(map(spec, "flinkConfiguration")).containsEntry("execution.checkpointing.dir", "s3://bucket/recsys")
        .containsEntry("checkpoint.dir", "s3://bucket/recsys")
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
    Map<String, Object> podSpec = map(map(flinkDeploymentSpec(Map.of("kafka.bootstrap", "k:9092")), "podTemplate"), "spec");
    assertThat(podSpec).doesNotContainKey("initContainers");
    podSpec = map(map(flinkDeploymentSpec(Map.of("kafka.bootstrap", "k:9092", "volumePermissions.enabled", "true")), "podTemplate"), "spec");
    Map<String, Object> init = ((List<Map<String, Object>>) podSpec.get("initContainers")).get(0);
    assertThat((List<String>) init.get("command")).containsExactly("chown", Repo.imageUid() + ":" + Repo.imageUid(), "/checkpoints");
    assertThat(mountPath(init, "checkpoints")).isEqualTo("/checkpoints");
  }

  @Test
  @SuppressWarnings("unchecked")
  void chartKnobsReachThePods() throws Exception {
    List<Map<String, Object>> docs = render(PRODUCTION_VALUES, Map.of());
    Map<String, Object> spec = map(only(docs, "FlinkDeployment"), "spec");
    assertThat(spec.get("image")).isEqualTo("registry.example.com/recsys/flink@sha256:" + "0".repeat(64));
    Map<String, Object> pod = map(map(spec, "podTemplate"), "spec");
    assertThat(pod.get("imagePullSecrets")).isEqualTo(List.of(Map.of("name", "registry-credentials")));
    assertThat(map(pod, "nodeSelector")).containsEntry("kubernetes.io/arch", "amd64").containsEntry("workload", "streaming");
    assertThat((List<Map<String, Object>>) pod.get("tolerations")).extracting(t -> t.get("key")).containsExactly("workload");
    assertThat(mainContainer(spec).get("env").toString()).contains("AWS_SECRET_ACCESS_KEY").contains("secretKeyRef");
    assertThat(map(spec, "flinkConfiguration")).containsEntry("execution.checkpointing.timeout", "10 min")
        .containsEntry("state.backend.rocksdb.thread.num", "2").containsEntry("s3.path.style.access", "false")
        .containsEntry("batch.size", "256"); // a YAML number arrives as text
    Map<String, Object> monitor = only(docs, "PodMonitor");
    assertThat(map(map(monitor, "metadata"), "labels")).containsEntry("release", "kube-prometheus-stack");
    // the PodMonitor selects the operator's label on the Flink pods (app: <deployment name>)
    assertThat(map(map(map(monitor, "spec"), "selector"), "matchLabels")).containsEntry("app", name(only(docs, "FlinkDeployment")));

    // extra volumes and mounts, and a tag instead of a digest
    spec = flinkDeploymentSpec(Map.of("kafka.bootstrap", "k:9092", "image.flink.tag", "0.2.0", "extraVolumes[0].name", "extra",
        "extraVolumes[0].emptyDir.medium", "Memory", "extraVolumeMounts[0].name", "extra", "extraVolumeMounts[0].mountPath", "/extra"));
    assertThat(spec.get("image")).isEqualTo("recsys/flink:0.2.0");
    assertThat(mountPath(mainContainer(spec), "extra")).isEqualTo("/extra");
    assertThat(volumes(spec).toString()).contains("name=extra");
  }

  @Test
  void topicsHookAndFirstModelJobRunCommandsTheCliAccepts() throws Exception {
    String hooks = Files.readString(CHART.resolve("templates/hooks.yaml"));
    assertThat(hooks).contains("helm.sh/hook: pre-install,pre-upgrade");
    Map<String, String> values = Map.of("kafka.bootstrap", "k:9092", "bootstrapModel.enabled", "true",
        "bootstrapModel.ratings", "/registry/data/ratings.csv", "kafka.clientProperties.security\\.protocol", "SSL");
    List<Map<String, Object>> docs = renderWithHooks(values);
    List<Map<String, Object>> jobs = all(docs, "Job");
    assertThat(jobs).hasSize(2);

    Map<String, Object> topics = jobs.stream().filter(j -> name(j).endsWith("-topics")).findFirst().orElseThrow();
    Map<String, Object> c = podContainer(topics);
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) c.get("args");
    assertThat(args).containsExactly("topics", "create", "--client-config", "/etc/recsys/kafka/client/client.properties",
        "--replication-factor", "3");
    ShellScripts.parse(args);
    assertThat(mountPath(c, "kafka-client")).isEqualTo("/etc/recsys/kafka/client");
    assertThat(c.get("env").toString()).contains("RECSYS_BOOTSTRAP").contains("k:9092");
    // the hook's copy of the client properties is the release's
    List<Map<String, Object>> configMaps = all(docs, "ConfigMap");
    assertThat(configMaps).extracting(HelmChartTest::name).containsExactlyInAnyOrder("rel-recsys-kafka-client", "rel-recsys-kafka-client-hook");
    assertThat(configMaps).extracting(m -> map(m, "data")).allSatisfy(d -> assertThat(d).isEqualTo(map(configMaps.get(0), "data")));
    assertThat(volumes(podSpec(topics)).toString()).contains("rel-recsys-kafka-client-hook");

    // the first model: a plain Job, not a hook, so helm install does not wait for the training
    Map<String, Object> train = jobs.stream().filter(j -> name(j).contains("-bootstrap-model-")).findFirst().orElseThrow();
    assertThat(map(train, "metadata")).doesNotContainKey("annotations");
    assertThat(Files.readString(CHART.resolve("templates/bootstrap-model.yaml"))).doesNotContain("helm.sh/hook");
    String script = ((List<?>) podContainer(train).get("args")).get(0).toString();
    assertThat(script).contains("/registry/movielens/current.json"); // the model the job serves (model.name)
    List<List<String>> calls = ShellScripts.recsysCalls(tmp, script, Map.of("RECSYS_BOOTSTRAP", "k:9092"));
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)).containsExactly("train", "--ratings", "/registry/data/ratings.csv", "--name", "movielens", "--out",
        "/tmp/train", "--publish", "--bootstrap", "k:9092", "--client-config", "/etc/recsys/kafka/client/client.properties",
        "--no-progress", "--epochs", "200");
    ShellScripts.parse(calls.get(0));
    assertThatThrownBy(() -> template(chartWithHooks(), Map.of("kafka.bootstrap", "k:9092", "bootstrapModel.enabled", "true")).call())
        .hasMessageContaining("bootstrapModel.ratings");

    // a Job's pod template is immutable: its name follows the template, so an upgrade replaces it
    String trainName = name(train);
    assertThat(all(renderWithHooks(values), "Job")).extracting(HelmChartTest::name).contains(trainName);
    assertThat(all(renderWithHooks(with(values, "bootstrapModel.args[0]", "--epochs=50")), "Job"))
        .extracting(HelmChartTest::name).doesNotContain(trainName).anyMatch(n -> n.startsWith("rel-recsys-bootstrap-model-"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void theTrainerJobCanAskForAGpu() throws Exception {
    Map<String, Object> train = all(render(PRODUCTION_VALUES, Map.of()), "Job").get(0);
    Map<String, Object> pod = podSpec(train);
    Map<String, Object> c = podContainer(train);
    assertThat(c.get("image")).isEqualTo("registry.example.com/recsys/recsys-cuda:0.1.0");
    assertThat(map(map(c, "resources"), "limits")).containsEntry("nvidia.com/gpu", 1);
    assertThat(map(pod, "nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
    assertThat((List<Map<String, Object>>) pod.get("tolerations")).extracting(t -> t.get("key")).containsExactly("nvidia.com/gpu");
    List<List<String>> calls = ShellScripts.recsysCalls(tmp, ((List<?>) c.get("args")).get(0).toString(), Map.of("RECSYS_BOOTSTRAP", "k:9093"));
    assertThat(calls.get(0)).containsSubsequence("--device", "gpu");
    ShellScripts.parse(calls.get(0));
  }

  // --- rendering -------------------------------------------------------------------------------

  /** Value sets the tests render besides the example file: defaults, and every optional part on. */
  static List<Map<String, String>> valueSets() {
    return List.of(
        Map.of("kafka.bootstrap", "k:9092"),
        Map.of("kafka.bootstrap", "k:9092", "bootstrapModel.enabled", "true", "bootstrapModel.ratings", "/registry/r.csv",
            "kafka.existingSecret", "kafka-client", "kafka.existingSecretKeys[0]", "sasl.jaas.config",
            "kafka.tls.existingSecret", "kafka-tls", "kafka.tls.truststore", "ca.p12", "kafka.tls.keystore", "client.p12",
            "metrics.podMonitor.enabled", "true"),
        Map.of("kafka.bootstrap", "k:9092", "checkpoints.dir", "s3://b/r", "highAvailability.enabled", "false",
            "metrics.prometheus", "false", "topics.create", "false"));
  }

  /** The FlinkDeployment of every documented values file and of {@link #valueSets}. */
  static List<Map<String, Object>> everyFlinkDeployment() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map<String, String> values : valueSets()) {
      out.add(only(render(values), "FlinkDeployment"));
    }
    out.add(only(render(PRODUCTION_VALUES, Map.of()), "FlinkDeployment"));
    out.add(only(render(Repo.ROOT.resolve("helm/recsys/values.yaml"), Map.of("kafka.bootstrap", "k:9092")), "FlinkDeployment"));
    return out;
  }

  /**
   * The job's settings as the job builds them when the operator starts it: the cluster's Flink
   * configuration (flinkConfiguration, plus parallelism.default from job.parallelism), then the
   * job's arguments, with the mounted client properties file at a local path.
   */
  JobConfig jobConfigAsTheOperatorStartsIt(Map<String, Object> spec, String clientProperties) throws Exception {
    Map<String, String> cluster = new HashMap<>();
    map(spec, "flinkConfiguration").forEach((k, v) -> cluster.put(k, (String) v));
    cluster.put("parallelism.default", String.valueOf(map(spec, "job").get("parallelism")));
    @SuppressWarnings("unchecked")
    List<String> args = new ArrayList<>((List<String>) map(spec, "job").get("args"));
    String mounted = args.get(args.indexOf("--client-config") + 1);
    assertThat(mountPath(mainContainer(spec), "kafka-client")).isEqualTo(Path.of(mounted).getParent().toString());
    Path local = Files.writeString(tmp.resolve("client.properties"), clientProperties);
    args.set(args.indexOf(mounted), local.toString());
    JobCommand cmd = new JobCommand();
    new picocli.CommandLine(cmd).parseArgs(args.toArray(String[]::new));
    return cmd.config(Configuration.fromMap(cluster)); // refuses unknown job keys and bad values
  }

  static String clientProperties(Map<String, String> values) {
    return (String) map(only(render(values).stream().filter(d -> name(d).endsWith("-kafka-client")).toList(), "ConfigMap"), "data")
        .get("client.properties");
  }

  static Properties properties(String text) throws Exception {
    Properties p = new Properties();
    p.load(new StringReader(text));
    return p;
  }

  static TemplateCommand template(Path chart, Map<String, String> values) {
    TemplateCommand t = new Helm(chart).template().withName("rel");
    values.forEach(t::set);
    return t;
  }

  static List<Map<String, Object>> render(Map<String, String> values) {
    return parse(template(CHART, values).call());
  }

  static List<Map<String, Object>> render(Path valuesFile, Map<String, String> values) {
    return parse(template(CHART, values).withValuesFile(valuesFile).call());
  }

  static List<Map<String, Object>> renderWithHooks(Map<String, String> values) {
    return parse(template(chartWithHooks(), values).call());
  }

  static List<Map<String, Object>> renderWithHooks(Path valuesFile, Map<String, String> values) {
    return parse(template(chartWithHooks(), values).withValuesFile(valuesFile).call());
  }

  private static List<Map<String, Object>> parse(String rendered) {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (Object d : new Yaml().loadAll(rendered)) {
      if (d != null) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) d;
        docs.add(m);
      }
    }
    return docs;
  }

  static Map<String, Object> flinkDeploymentSpec(Map<String, String> values) {
    return map(only(render(values), "FlinkDeployment"), "spec");
  }

  static Map<String, String> with(Map<String, String> values, String key, String value) {
    Map<String, String> out = new LinkedHashMap<>(values);
    out.put(key, value);
    return out;
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

  static String name(Map<String, Object> doc) {
    return (String) map(doc, "metadata").get("name");
  }

  /** The pod spec of a FlinkDeployment's pod template or a Job; null for other kinds. */
  static Map<String, Object> podSpec(Map<String, Object> doc) {
    return switch ((String) doc.get("kind")) {
      case "FlinkDeployment" -> map(map(map(doc, "spec"), "podTemplate"), "spec");
      case "Job" -> map(map(map(doc, "spec"), "template"), "spec");
      default -> null;
    };
  }

  private static Map<String, String> annotations(Map<String, Object> spec) {
    @SuppressWarnings("unchecked")
    Map<String, String> a = (Map<String, String>) (Map<?, ?>) map(map(spec, "podTemplate"), "metadata").get("annotations");
    return a;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> mainContainer(Map<String, Object> spec) {
    List<Map<String, Object>> containers = (List<Map<String, Object>>) map(map(spec, "podTemplate"), "spec").get("containers");
    return containers.stream().filter(c -> "flink-main-container".equals(c.get("name"))).findFirst().orElseThrow();
  }

  private static Object volumes(Map<String, Object> spec) {
    return (spec.containsKey("podTemplate") ? map(map(spec, "podTemplate"), "spec") : spec).get("volumes");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> podContainer(Map<String, Object> job) {
    return ((List<Map<String, Object>>) podSpec(job).get("containers")).get(0);
  }

  @SuppressWarnings("unchecked")
  static String mountPath(Map<String, Object> container, String volume) {
    return ((List<Map<String, Object>>) container.get("volumeMounts")).stream()
        .filter(m -> volume.equals(m.get("name"))).map(m -> (String) m.get("mountPath")).findFirst().orElse(null);
  }

  /** A deep copy of a FlinkDeployment with its spec edited. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> edit(Map<String, Object> fd, java.util.function.Consumer<Map<String, Object>> change) {
    Map<String, Object> copy = (Map<String, Object>) new Yaml().load(new Yaml().dump(fd));
    change.accept(map(copy, "spec"));
    return copy;
  }

  static String sha256(String text) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
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
