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
  private final String saslBootstrap;
  private final Path dataDir;
  private final boolean deleteOnClose;

  private EmbeddedKafka(KafkaRaftServer server, String bootstrap, String saslBootstrap, Path dataDir, boolean deleteOnClose) {
    this.server = server;
    this.bootstrap = bootstrap;
    this.saslBootstrap = saslBootstrap;
    this.dataDir = dataDir;
    this.deleteOnClose = deleteOnClose;
  }

  /**
   * Starts a broker on a temporary directory with a second listener that takes SASL/PLAIN
   * (unencrypted) for one user: clients of a secured cluster, their credentials and where those
   * end up can be tested for real. The plaintext listener stays for the test's own clients.
   */
  public static EmbeddedKafka startWithSaslUser(String user, String password) {
    try {
      return start(Files.createTempDirectory("recsys-kafka-"), true, 0, new String[] {user, password});
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
    return start(dataDir, deleteOnClose, brokerPort, null);
  }

  private static EmbeddedKafka start(Path dataDir, boolean deleteOnClose, int brokerPort, String[] saslUser) {
    if (brokerPort == 0) {
      brokerPort = freePort();
    }
    int controllerPort = freePort();
    int saslPort = saslUser == null ? 0 : freePort();
    Path logDir = dataDir.resolve("kraft-logs");
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    String sasl = saslUser == null ? "" : ",SASL://127.0.0.1:" + saslPort;
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort + sasl);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + sasl);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT" + (saslUser == null ? "" : ",SASL:SASL_PLAINTEXT"));
    if (saslUser != null) {
      p.put("sasl.enabled.mechanisms", "PLAIN");
      p.put("listener.name.sasl.plain.sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + saslUser[0] + "=\"" + saslUser[1] + "\";");
    }
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
    // the OS sizes the sockets' buffers, as for the clients (see KafkaClients.OS_SOCKET_BUFFER)
    p.put("socket.receive.buffer.bytes", Integer.toString(KafkaClients.OS_SOCKET_BUFFER));
    p.put("socket.send.buffer.bytes", Integer.toString(KafkaClients.OS_SOCKET_BUFFER));
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
    EmbeddedKafka kafka = new EmbeddedKafka(server, "127.0.0.1:" + brokerPort, saslUser == null ? null : "127.0.0.1:" + saslPort, dataDir,
        deleteOnClose);
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

  /** The SASL/PLAIN listener of {@link #startWithSaslUser}; null without one. */
  public String saslBootstrapServers() {
    return saslBootstrap;
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
