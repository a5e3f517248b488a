package dev.recsys.kafka.cli;

import dev.recsys.kafka.EmbeddedKafka;
import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code recsys kafka}: the embedded single-node broker, standalone, for local work. */
@Command(name = "kafka", mixinStandardHelpOptions = true,
    description = "Run the embedded single-node Kafka broker (KRaft, 127.0.0.1) with the system's topics, until Ctrl-C.")
public final class KafkaCommand implements Callable<Integer> {

  @Option(names = "--port", defaultValue = "9092", description = "Broker port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free one)")
  int port;

  @Option(names = "--data-dir", defaultValue = "kafka-data", description = "Log directory; kept between runs (default: ./${DEFAULT-VALUE})")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    EmbeddedKafka kafka = EmbeddedKafka.start(dataDir.toAbsolutePath(), false, port);
    try (Admin admin = Admin.create(KafkaClients.admin(kafka.bootstrapServers()))) {
      Topics.create(admin, (short) 1);
    }
    System.out.println("kafka: " + kafka.bootstrapServers() + " (data in " + dataDir.toAbsolutePath() + "); Ctrl-C stops it");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      kafka.close();
      stopped.countDown();
    }));
    stopped.await();
    return 0;
  }
}
