package dev.recsys.trainer.cli;

import dev.recsys.contracts.Topics;
import dev.recsys.trainer.online.MetricsTopic;
import dev.recsys.trainer.online.OnlineComparison;
import dev.recsys.trainer.online.OnlineComparison.Metric;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/** What {@code model compare} and {@code model promote --if-better} read and judge: the online metrics. */
final class OnlineOptions {

  /** How long a read of the metrics topic may make no progress before it gives up. */
  private static final Duration STALL = Duration.ofSeconds(60);

  @Option(names = "--metrics-topic", defaultValue = Topics.MODEL_METRICS, description = "Topic of the job's online metrics (default: ${DEFAULT-VALUE})")
  String metricsTopic;

  @Option(names = "--metric", defaultValue = "hitrate@10", converter = MetricConverter.class,
      description = "hitrate@10, hitrate@20, hitrate@100 or ndcg (mean gain 1/log2(rank+1)): the one plotted, or judged by promote --if-better (default: ${DEFAULT-VALUE})")
  Metric metric;

  @Option(names = "--confidence", defaultValue = "0.95", description = "Confidence level of the two-sided intervals (default: ${DEFAULT-VALUE})")
  double confidence;

  /** Refuses what cannot be read or computed, as a usage error. */
  void check(CommandSpec spec, RegistryOptions reg) {
    if (!(confidence > 0 && confidence < 1)) {
      throw new ParameterException(spec.commandLine(), "--confidence must lie strictly between 0 and 1, not " + confidence);
    }
    if (reg.bootstrap == null) {
      throw new ParameterException(spec.commandLine(), "--bootstrap is required: the online metrics are on the " + metricsTopic + " topic");
    }
  }

  /** Reads the topic and prints what was read. */
  MetricsTopic.Snapshot read(CommandSpec spec, RegistryOptions reg) throws IOException {
    check(spec, reg);
    MetricsTopic.Snapshot s = MetricsTopic.read(reg.bootstrap, reg.kafkaProperties(), metricsTopic, reg.name, STALL);
    System.out.printf(Locale.ROOT, "read %,d records of %s, %,d of model '%s'%s%n", s.records(), s.topic(), s.events().size(), s.name(),
        s.skipped() == 0 ? "" : String.format(Locale.ROOT, "; skipped %,d that did not decode (first: %s)", s.skipped(), s.firstSkipped()));
    return s;
  }

  double z() {
    return OnlineComparison.z(confidence);
  }

  String percent() {
    return OnlineComparison.percent(confidence);
  }

  static final class MetricConverter implements ITypeConverter<Metric> {
    @Override
    public Metric convert(String value) {
      try {
        return Metric.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}
