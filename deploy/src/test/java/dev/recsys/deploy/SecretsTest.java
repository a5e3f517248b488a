package dev.recsys.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.recsys.app.RecsysCli;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

/**
 * A recognisable fake password never appears where Kubernetes or a shell would show it: in what
 * the chart renders (ConfigMaps, the FlinkDeployment, container arguments and environments), in
 * any command's {@code --help}, or in what a CLI tool prints while it authenticates with it. (The
 * job's own logs: flink-job's JobSecretsTest.)
 */
class SecretsTest {

  static final String PASSWORD = "s3cr3t-FAKE-pw-4711";
  static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"recsys\" password=\"" + PASSWORD + "\";";

  @TempDir Path tmp;

  @Test
  void theChartRefusesSecretsInItsValuesWithoutRepeatingThem() {
    Map<String, String> attempts = Map.of(
        "kafka.clientProperties.sasl\\.jaas\\.config", "kafka.clientProperties.sasl.jaas.config holds a secret",
        "kafka.clientProperties.ssl\\.truststore\\.password", "kafka.clientProperties.ssl.truststore.password holds a secret",
        "job.settings.kafka\\.client\\.sasl\\.jaas\\.config", "Kafka client properties go under kafka.clientProperties",
        "flinkConfiguration.s3\\.secret-key", "flinkConfiguration.s3.secret-key looks like a secret",
        "flinkConfiguration.fs\\.azure\\.account\\.key\\.acct\\.dfs\\.core\\.windows\\.net", "looks like a secret");
    attempts.forEach((key, message) -> assertThatThrownBy(() -> HelmChartTest.render(Map.of("kafka.bootstrap", "k:9092", key, PASSWORD)))
        .as(key).hasMessageContaining(message).hasMessageNotContaining(PASSWORD));
  }

  @Test
  void nothingRenderedNamesASecretValue() throws Exception {
    // with every Kafka security option on, what the chart renders holds only references
    List<Map<String, Object>> docs = new ArrayList<>(HelmChartTest.renderWithHooks(HelmChartTest.valueSets().get(1)));
    docs.addAll(HelmChartTest.renderWithHooks(HelmChartTest.PRODUCTION_VALUES, Map.of()));
    String all = new Yaml().dumpAll(docs.iterator());
    assertThat(all).doesNotContain("password=").doesNotContain("PlainLoginModule").doesNotContain("ScramLoginModule");
    for (Map<String, Object> d : docs) {
      if ("ConfigMap".equals(d.get("kind"))) {
        String file = (String) HelmChartTest.map(d, "data").get("client.properties");
        HelmChartTest.properties(file).forEach((k, v) -> {
          String key = (String) k;
          if (KafkaClients.isSecret(key) && !key.endsWith(".location") && !key.endsWith(".type")) {
            assertThat((String) v).as("%s in %s", k, HelmChartTest.name(d)).matches("\\$\\{directory:/etc/recsys/kafka/secret:[a-z.]+}");
          }
        });
      }
    }
  }

  @Test
  void everyCommandThatTalksToKafkaTakesClientConfigAndItsHelpShowsNoSecret() throws Exception {
    Path secretFile = Files.writeString(tmp.resolve("client.properties"), "sasl.jaas.config=" + JAAS + "\n");
    List<String> kafkaCommands = new ArrayList<>();
    for (CommandLine c : commands(RecsysCli.commandLine())) {
      String path = c.getCommandSpec().qualifiedName(" ");
      if (c.getCommandSpec().findOption("--bootstrap") != null) {
        kafkaCommands.add(path);
        assertThat(c.getCommandSpec().findOption("--client-config")).as(path + " --client-config").isNotNull();
      }
      // --help after the secret file was given: usage only, never a value
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      CommandLine fresh = RecsysCli.commandLine();
      fresh.setOut(new PrintWriter(out, true));
      fresh.setErr(new PrintWriter(out, true));
      List<String> args = new ArrayList<>(List.of(path.split(" ")).subList(1, path.split(" ").length));
      if (c.getCommandSpec().findOption("--client-config") != null) {
        args.addAll(List.of("--client-config", secretFile.toString()));
      }
      args.add("--help");
      fresh.execute(args.toArray(String[]::new));
      assertThat(out.toString()).as(path).contains("Usage:").doesNotContain(PASSWORD);
    }
    // the tools, the model commands, the trainer, the job and the demo
    assertThat(kafkaCommands).contains("recsys topics create", "recsys replay", "recsys tail", "recsys dlq", "recsys model publish",
        "recsys model promote", "recsys model rollback", "recsys train", "recsys job", "recsys demo");
  }

  @Test
  void cliToolsAuthenticateWithTheChartsClientPropertiesAndPrintNoSecret() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.startWithSaslUser("recsys", PASSWORD)) {
      // the release's client properties, with the Secret mounted where the chart mounts it (here: a temporary directory)
      String rendered = HelmChartTest.clientProperties(Map.of("kafka.bootstrap", "k:9092", "kafka.existingSecret", "kafka-client",
          "kafka.existingSecretKeys[0]", "sasl.jaas.config", "kafka.clientProperties.security\\.protocol", "SASL_PLAINTEXT",
          "kafka.clientProperties.sasl\\.mechanism", "PLAIN"));
      Path secretDir = Files.createDirectories(tmp.resolve("secret"));
      Files.writeString(secretDir.resolve("sasl.jaas.config"), JAAS);
      Path clientConfig = Files.writeString(tmp.resolve("client.properties"), rendered.replace("/etc/recsys/kafka/secret", secretDir.toString()));
      assertThat(Files.readString(clientConfig)).doesNotContain(PASSWORD);

      String out = recsys(0, "topics", "create", "--bootstrap", kafka.saslBootstrapServers(), "--client-config", clientConfig.toString());
      assertThat(out).contains("ratings          created").doesNotContain(PASSWORD);
      try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
        assertThat(admin.listTopics().names().get()).containsAll(Topics.ALL.stream().map(Topics.Spec::name).toList());
      }
      Path ratings = Files.writeString(tmp.resolve("ratings.csv"), "userId,movieId,rating,timestamp\n1,2,4.0,1000\n1,3,3.5,1001\n");
      out = recsys(0, "replay", "--ratings", ratings.toString(), "--bootstrap", kafka.saslBootstrapServers(), "--client-config", clientConfig.toString());
      assertThat(out).doesNotContain(PASSWORD);

      // the secret is what authenticates: with another password in the Secret the same command fails
      Files.writeString(secretDir.resolve("sasl.jaas.config"), JAAS.replace(PASSWORD, "wrong-" + PASSWORD.length()));
      out = recsys(1, "topics", "list", "--bootstrap", kafka.saslBootstrapServers(), "--client-config", clientConfig.toString());
      assertThat(out).contains("Authentication failed").doesNotContain(PASSWORD);
    }
  }

  private static List<CommandLine> commands(CommandLine c) {
    List<CommandLine> out = new ArrayList<>(List.of(c));
    c.getSubcommands().values().stream().distinct().forEach(s -> out.addAll(commands(s)));
    return out;
  }

  /** Runs the recsys CLI in a JVM of its own, as the images do; returns what it printed. */
  private String recsys(int expectedExit, String... args) throws Exception {
    String classpath = Files.readString(Repo.ROOT.resolve("app/target/classpath.txt")).trim();
    try (Stream<Path> jars = Files.list(Repo.ROOT.resolve("app/target"))) {
      for (Path jar : jars.filter(j -> j.getFileName().toString().matches("recsys-app-.*\\.jar")).toList()) {
        classpath = jar + File.pathSeparator + classpath;
      }
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", classpath, RecsysCli.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("DJL_CACHE_DIR", tmp.resolve("djl").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(expectedExit);
    return out;
  }
}
