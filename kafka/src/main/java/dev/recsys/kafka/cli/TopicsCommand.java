package dev.recsys.kafka.cli;

import dev.recsys.contracts.KafkaClients;
import dev.recsys.contracts.Topics;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code recsys topics create|list}. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Create or list the system's topics.",
    subcommands = {TopicsCommand.Create.class, TopicsCommand.ListTopics.class})
public final class TopicsCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    new picocli.CommandLine(this).usage(System.out);
    return 0;
  }

  @Command(name = "create", mixinStandardHelpOptions = true, description = "Create every topic that does not exist yet (idempotent).")
  static final class Create implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Option(names = "--replication-factor", description = "Replicas per partition (default: min(3, brokers))")
    Short replication;

    @Override
    public Integer call() throws Exception {
      try (Admin admin = Admin.create(kafka.with(KafkaClients.admin(kafka.bootstrap)))) {
        short rf = replication != null ? replication : (short) Math.min(3, admin.describeCluster().nodes().get().size());
        for (Topics.Outcome o : Topics.create(admin, rf)) {
          System.out.printf("%-16s %s%n", o.name(), o.created() ? "created" : "exists");
        }
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Show the system's topics and their partitions.")
  static final class ListTopics implements Callable<Integer> {
    @Mixin KafkaOptions kafka;

    @Override
    public Integer call() throws Exception {
      try (Admin admin = Admin.create(kafka.with(KafkaClients.admin(kafka.bootstrap)))) {
        var existing = admin.listTopics().names().get();
        for (Topics.Spec spec : Topics.ALL) {
          if (!existing.contains(spec.name())) {
            System.out.printf("%-16s missing (run: recsys topics create)%n", spec.name());
            continue;
          }
          TopicDescription d = admin.describeTopics(java.util.List.of(spec.name())).allTopicNames().get().get(spec.name());
          System.out.printf("%-16s %d partitions, replication %d%n", spec.name(), d.partitions().size(), d.partitions().get(0).replicas().size());
        }
      }
      return 0;
    }
  }
}
