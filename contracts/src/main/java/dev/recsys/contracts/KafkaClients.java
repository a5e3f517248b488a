package dev.recsys.contracts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.utils.Utils;

/** The client settings every part of the system shares. */
public final class KafkaClients {

  private KafkaClients() {}

  /** Consumer that sees only committed transactional output (the recommendations' contract). */
  public static Properties readCommittedConsumer(String bootstrap, String groupId) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, Integer.toString(OS_SOCKET_BUFFER));
    return p;
  }

  /**
   * {@code receive.buffer.bytes} / {@code socket.receive.buffer.bytes} value that leaves the TCP
   * receive buffer to the OS, which grows it with the traffic. Kafka's fixed 64 KB (100 KB on the
   * broker) holds a single segment on loopback (MTU 64 KB): when a busy reader falls behind, the
   * next segment is dropped ({@code TcpExtRcvPruned}) and arrives again only after TCP's 200 ms
   * minimum retransmission timeout, which a consumer sees as a list 200 ms late.
   */
  public static final int OS_SOCKET_BUFFER = -1;

  /** Idempotent producer: retries never duplicate or reorder a partition's records. */
  public static Properties idempotentProducer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return p;
  }

  /** Admin client settings. */
  public static Properties admin(String bootstrap) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    return p;
  }

  /**
   * Whether a Kafka client property holds a secret: Kafka declares it a password, or its name says
   * secret, key, password or jaas (a PEM key in ssl.keystore.key, a JAAS line with a password).
   * Logs show such values masked.
   */
  public static boolean isSecret(String property) {
    for (ConfigDef def : new ConfigDef[] {ProducerConfig.configDef(), ConsumerConfig.configDef()}) {
      ConfigDef.ConfigKey key = def.configKeys().get(property);
      if (key != null && key.type == ConfigDef.Type.PASSWORD) {
        return true;
      }
    }
    String p = property.toLowerCase(Locale.ROOT);
    return p.contains("password") || p.contains("secret") || p.contains("key") || p.contains("jaas");
  }

  /**
   * The client properties a user gives a tool: those of {@code configFile} (a properties file, as
   * Kafka's own tools take with {@code --command-config}, so that secrets stay out of argv; null
   * for none), then {@code overrides}.
   */
  public static Map<String, String> userProperties(Path configFile, Map<String, String> overrides) throws IOException {
    Map<String, String> out = new HashMap<>();
    if (configFile != null) {
      Properties file;
      try {
        file = Utils.loadProps(configFile.toString());
      } catch (IOException e) {
        throw new IOException("cannot read the Kafka client config " + configFile + " (" + e + ")", e);
      }
      for (String key : file.stringPropertyNames()) {
        out.put(key, file.getProperty(key));
      }
    }
    out.putAll(overrides);
    return out;
  }
}
