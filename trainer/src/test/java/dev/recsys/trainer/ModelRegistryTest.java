package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.JsonSerde;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.kafka.testing.KafkaCluster;
import dev.recsys.kafka.testing.WithKafka;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.trainer.cli.ModelCommand;
import dev.recsys.trainer.registry.ModelAnnouncer;
import dev.recsys.model.registry.ModelRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@WithKafka
class ModelRegistryTest {

  @TempDir Path tmp;

  private Path bundle(String name, long seed) throws Exception {
    Architecture arch = new Architecture(ModelType.DAE, 20, new int[0], 4);
    RandomBundle.write(tmp.resolve(name), arch, LongStream.rangeClosed(1, 20).toArray(), seed);
    return tmp.resolve(name);
  }

  @Test
  void publishPromoteRollback() throws Exception {
    ModelRegistry reg = new ModelRegistry(tmp.resolve("registry"));
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    ModelRegistry.Version v2 = reg.publish("ml", bundle("b", 2));
    assertEquals(1, v1.version());
    assertEquals(2, v2.version());
    assertEquals(2, reg.current("ml").orElseThrow().version());
    assertEquals(ModelBundle.load(tmp.resolve("b")).sha256(), v2.sha256());
    // checked on the mode bits: the tests may run as root, for whom everything is writable
    assertFalse(Files.getPosixFilePermissions(v2.dir().resolve(ModelBundle.WEIGHTS)).contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE),
        "published versions are read-only");

    assertEquals(1, reg.promote("ml", 1).version());
    assertEquals(1, reg.current("ml").orElseThrow().version());
    ModelRegistry.Version v3 = reg.publish("ml", bundle("c", 3));
    assertEquals(3, v3.version());
    // rollback walks back through what was current, most recent first: the stack is [1, 2, 1, 3]
    assertEquals(1, reg.rollback("ml").version());
    assertEquals(2, reg.rollback("ml").version());
    assertEquals(1, reg.rollback("ml").version());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.rollback("ml"));
    assertThat(e.getMessage()).contains("no earlier version");
    List<ModelRegistry.Version> all = reg.list("ml");
    assertEquals(List.of(1, 2, 3), all.stream().map(ModelRegistry.Version::version).toList());
    assertEquals(List.of(true, false, false), all.stream().map(ModelRegistry.Version::current).toList());
    assertThrows(IllegalArgumentException.class, () -> reg.promote("ml", 9));
  }

  @Test
  void refusesToPublishABadBundle() throws Exception {
    ModelRegistry reg = new ModelRegistry(tmp.resolve("registry"));
    Path bad = bundle("bad", 1);
    Files.writeString(bad.resolve("items.txt"), "1\n");
    assertThrows(BundleException.class, () -> reg.publish("ml", bad));
    assertTrue(reg.list("ml").isEmpty());
  }

  @Test
  void concurrentPublishersGetDistinctCompleteVersions() throws Exception {
    ModelRegistry reg = new ModelRegistry(tmp.resolve("registry"));
    int n = 8;
    List<Path> bundles = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      bundles.add(bundle("p" + i, i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<ModelRegistry.Version>> futures = new ArrayList<>();
    for (Path b : bundles) {
      // each publisher uses its own registry object, as separate processes would
      Callable<ModelRegistry.Version> task = () -> {
        go.await();
        return new ModelRegistry(tmp.resolve("registry")).publish("ml", b);
      };
      futures.add(pool.submit(task));
    }
    go.countDown();
    Set<Integer> versions = new HashSet<>();
    Set<String> shas = new HashSet<>();
    for (Future<ModelRegistry.Version> f : futures) {
      ModelRegistry.Version v = f.get();
      versions.add(v.version());
      shas.add(ModelBundle.load(v.dir()).sha256()); // complete and verified
    }
    pool.shutdown();
    assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), versions);
    assertEquals(n, shas.size());
    assertEquals(n, reg.list("ml").size());
    try (var s = Files.list(tmp.resolve("registry/ml"))) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".staging")), "no staging leftovers");
    }
  }

  @Test
  void announcesVersionsOnTheModelUpdatesTopic(KafkaCluster kafka) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      Topics.create(admin, (short) 1);
    }
    ModelRegistry reg = new ModelRegistry(tmp.resolve("registry"));
    ModelRegistry.Version v1 = reg.publish("ml", bundle("a", 1));
    ModelAnnouncer.announce(kafka.bootstrapServers(), Map.of(), Topics.MODEL_UPDATES, ModelAnnouncer.event(v1, "publish"));
    ModelRegistry.Version back = reg.promote("ml", 1);
    ModelAnnouncer.announce(kafka.bootstrapServers(), Map.of(), Topics.MODEL_UPDATES, ModelAnnouncer.event(back, "promote"));

    List<ModelUpdateEvent> got = new ArrayList<>();
    try (KafkaConsumer<String, ModelUpdateEvent> c =
        new KafkaConsumer<>(KafkaClients.readCommittedConsumer(kafka.bootstrapServers(), "t"), new StringDeserializer(),
            JsonSerde.deserializer(JsonCodec.MODEL_UPDATE))) {
      c.subscribe(List.of(Topics.MODEL_UPDATES));
      long deadline = System.currentTimeMillis() + 20_000;
      while (got.size() < 2 && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> {
          assertEquals(r.value().name(), r.key());
          if (r.key().equals("ml")) { // other tests announce other models on the shared broker
            got.add(r.value());
          }
        });
      }
    }
    assertEquals(2, got.size());
    assertEquals(List.of("publish", "promote"), got.stream().map(ModelUpdateEvent::action).toList());
    ModelUpdateEvent e = got.get(0);
    assertEquals(1, e.version());
    assertEquals(v1.sha256(), e.sha256());
    assertEquals(v1.dir().toUri().toString(), e.uri());
    assertEquals("dae", e.modelType());
  }

  @Test
  void cliAnnouncesWithTheGivenClientProperties(KafkaCluster kafka) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      Topics.create(admin, (short) 1);
    }
    ModelRegistry reg = new ModelRegistry(tmp.resolve("registry"));
    reg.publish("cli", bundle("a", 1));
    String[] promote = {"promote", "--version", "1", "--registry", tmp.resolve("registry").toString(), "--name", "cli",
        "--bootstrap", kafka.bootstrapServers()};
    assertEquals(0, new picocli.CommandLine(new ModelCommand()).execute(promote));
    // a producer limit no announcement fits in: the failure shows the property reached the producer
    String[] tooSmall = java.util.stream.Stream.concat(java.util.Arrays.stream(promote),
        java.util.stream.Stream.of("--client-property", "max.request.size=16")).toArray(String[]::new);
    java.io.StringWriter err = new java.io.StringWriter();
    picocli.CommandLine cli = new picocli.CommandLine(new ModelCommand());
    cli.setErr(new java.io.PrintWriter(err));
    assertThat(cli.execute(tooSmall)).isNotZero();
    assertThat(err.toString()).contains("RecordTooLargeException");
  }

  @Test
  void cliAnnouncesWithTheClientConfigFileThenClientProperties(KafkaCluster kafka) throws Exception {
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      Topics.create(admin, (short) 1);
    }
    new ModelRegistry(tmp.resolve("registry")).publish("cli-config", bundle("a", 1));
    Path cfg = tmp.resolve("announce.properties");
    Files.writeString(cfg, "max.request.size=16\nssl.truststore.password=hunter2-FAKE\n");
    String[] promote = {"promote", "--version", "1", "--registry", tmp.resolve("registry").toString(), "--name", "cli-config",
        "--bootstrap", kafka.bootstrapServers(), "--client-config", cfg.toString()};
    // the file's producer limit, which no announcement fits in, fails the send
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new ModelCommand());
    cli.setErr(new PrintWriter(err, true));
    assertThat(cli.execute(promote)).isNotZero();
    assertThat(err.toString()).contains("RecordTooLargeException").doesNotContain("hunter2-FAKE");
    // and --client-property overrides it
    String[] overridden = Stream.concat(Arrays.stream(promote),
        Stream.of("--client-property", "max.request.size=1048576")).toArray(String[]::new);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertEquals(0, new CommandLine(new ModelCommand()).execute(overridden));
    } finally {
      System.setOut(stdout);
    }
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("announced cli-config v1 on model-updates@").doesNotContain("hunter2-FAKE");
  }
}
