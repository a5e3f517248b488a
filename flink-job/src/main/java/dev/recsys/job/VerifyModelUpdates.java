package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Checks every model announcement before it is broadcast: valid JSON, this job's model, a bundle
 * inside the registry root whose checksums and dimensions verify and whose manifest digest is the
 * announced one. It runs in its own single task, off the scoring path, so a refusal is reported at
 * once (dead-letter event, metric) and the scoring tasks only ever see loadable versions.
 */
public class VerifyModelUpdates extends ProcessFunction<RawRecord, ModelUpdateEvent> {

  private final JobConfig config;
  private transient ModelRegistry registry;
  private transient Counter refused;

  public VerifyModelUpdates(JobConfig config) {
    this.config = config;
  }

  @Override
  public void open(OpenContext ctx) {
    registry = new ModelRegistry(Path.of(config.get(JobConfig.REGISTRY)));
    refused = getRuntimeContext().getMetricGroup().counter("modelLoadFailures");
  }

  @Override
  public void processElement(RawRecord r, Context ctx, Collector<ModelUpdateEvent> out) {
    ModelUpdateEvent e;
    try {
      e = JsonCodec.MODEL_UPDATE.decode(r.value);
    } catch (InvalidMessageException ex) {
      deadLetter(r, ctx, ex.getMessage());
      return;
    }
    if (!config.get(JobConfig.MODEL_NAME).equals(e.name())) {
      return; // another model's announcement on the shared topic: not ours to judge
    }
    try {
      ModelBundle bundle = ModelBundle.load(registry.resolveUri(e.uri()));
      if (!bundle.sha256().equals(e.sha256())) {
        throw new IllegalArgumentException("manifest SHA-256 is " + bundle.sha256() + ", the announcement says " + e.sha256());
      }
      out.collect(e);
    } catch (RuntimeException ex) {
      deadLetter(r, ctx, "refused model " + e.name() + " v" + e.version() + ": " + ex.getMessage());
    }
  }

  private void deadLetter(RawRecord r, Context ctx, String why) {
    refused.inc();
    ctx.output(ParseRatings.DEAD_LETTERS, DeadLetterEvent.of(r.topic, r.partition, r.offset, r.value, why, System.currentTimeMillis()));
  }
}
