package dev.recsys.job;

import dev.recsys.contracts.InvalidMessageException;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.file.Path;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Checks every model announcement before it is broadcast: valid JSON, this job's model, and the
 * registry's {@link ModelRegistry#acceptCurrent} check: the version verifies and is the one the
 * registry points at now. The registry is the authority, an announcement only a notification: a
 * replayed old announcement (a new job reads the topic from its start) or one naming a version the
 * registry never made current is refused. A shadow announcement passes only when the registry's
 * shadow.json names its version ({@link ModelRegistry#acceptShadow}), and a shadow's end only when
 * it no longer does. It runs in one task of its own, off the scoring path, so
 * a refusal is reported once and at once (a dead letter, {@code announcementsRefused}) and the
 * scoring tasks only ever see versions that verified.
 *
 * <p>One task because model-updates has one partition; nothing downstream depends on it: {@link
 * ServedModel} orders announcements by their publication time, not by arrival.
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
    refused = getRuntimeContext().getMetricGroup().counter("announcementsRefused");
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
      if (ModelUpdateEvent.END_SHADOW.equals(e.action())) {
        registry.acceptShadowEnd(e.name(), e.version());
      } else if (e.isShadow()) {
        registry.acceptShadow(e.name(), e.version(), e.uri(), e.sha256());
      } else {
        registry.acceptCurrent(e.name(), e.version(), e.uri(), e.sha256());
      }
      out.collect(e);
    } catch (Exception | OutOfMemoryError ex) { // whatever a bundle provokes must not fail the task
      deadLetter(r, ctx, "refused model " + e.name() + " v" + e.version() + ": " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
    }
  }

  private void deadLetter(RawRecord r, Context ctx, String why) {
    refused.inc();
    ctx.output(DeadLetters.TAG, DeadLetters.of(r, why));
  }
}
