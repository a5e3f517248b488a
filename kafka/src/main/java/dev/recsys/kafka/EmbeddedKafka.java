package dev.recsys.kafka;

import dev.recsys.contracts.KafkaClients;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.properties.MetaPropertiesEnsemble;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running in this JVM,
 * bound to 127.0.0.1 on free ports. It serves the tests and the local run.
 *
 * <p>The internal topics' replication factor is 1: with the default of 3, consumer groups and
 * transactions wait forever for replicas that a single node cannot have.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private final KafkaRaftServer server;
  private final String bootstrap;
  private final Path dataDir;
  private final boolean deleteOnClose;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrap, Path dataDir, boolean deleteOnClose) {
    this.server = server;
    this.bootstrap = bootstrap;
    this.dataDir = dataDir;
    this.deleteOnClose = deleteOnClose;
  }

  /** Starts a broker on a temporary directory that is deleted on close. */
  public static EmbeddedKafka start() {
    try {
      return start(Files.createTempDirectory("recsys-kafka-"), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a broker on a free port storing its logs under {@code dataDir}, and waits until it
   * answers.
   *
   * @param deleteOnClose whether {@link #close} deletes {@code dataDir}
   */
  public static EmbeddedKafka start(Path dataDir, boolean deleteOnClose) {
    return start(dataDir, deleteOnClose, 0);
  }

  /**
   * Starts a broker listening on {@code brokerPort} (0 for a free port), storing its logs under
   * {@code dataDir}, and waits until it answers. A {@code dataDir} from an earlier run is reused
   * as it is, with its topics, committed offsets and transactions.
   */
  public static EmbeddedKafka start(Path dataDir, boolean deleteOnClose, int brokerPort) {
    if (brokerPort == 0) {
      brokerPort = freePort();
    }
    int controllerPort = freePort();
    Path logDir = dataDir.resolve("kraft-logs");
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("log.dirs", logDir.toString());
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "4");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "4");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("log.cleaner.dedupe.buffer.size", Integer.toString(2 * 1024 * 1024));
    p.put("log.cleaner.backoff.ms", "1000"); // compacted topics shrink while one watches
    try {
      Files.createDirectories(logDir);
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setNodeId(1)
          .setClusterId(clusterId(logDir))
          .setControllerListenerName("CONTROLLER")
          .setMetadataLogDirectory(logDir.toString())
          .setDirectories(List.of(logDir.toString()))
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setIgnoreFormatted(true)
          .run();
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir, e);
    }
    KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p, false), Time.SYSTEM);
    server.startup();
    EmbeddedKafka kafka = new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, dataDir, deleteOnClose);
    kafka.awaitReady(Duration.ofSeconds(60));
    return kafka;
  }

  /**
   * The cluster id stored in {@code logDir}'s meta.properties, or a new one: formatting a directory
   * again under another id is refused, and a restart must keep its topics, offsets and transactions.
   */
  private static String clusterId(Path logDir) throws IOException {
    return new MetaPropertiesEnsemble.Loader()
        .addLogDirs(List.of(logDir.toString()))
        .addMetadataLogDir(logDir.toString())
        .load()
        .clusterId()
        .orElseGet(() -> Uuid.randomUuid().toString());
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  public Path dataDir() {
    return dataDir;
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(KafkaClients.admin(bootstrap))) {
      while (true) {
        try {
          if (!admin.describeCluster().nodes().get().isEmpty()) {
            return;
          }
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("embedded Kafka did not become ready at " + bootstrap, e);
          }
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting Kafka", e);
    }
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    if (deleteOnClose) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException e) {
        // a leftover temp directory is not worth failing a shutdown for
      }
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
