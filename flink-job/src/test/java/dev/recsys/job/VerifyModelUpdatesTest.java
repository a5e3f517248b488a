package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.JsonCodec;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.model.registry.ModelRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyModelUpdatesTest {

  @TempDir Path tmp;

  private static JobConfig config(Path registry) {
    return JobConfig.defaults().set(JobConfig.REGISTRY, registry.toString()).set(JobConfig.MODEL_NAME, TestRegistry.NAME);
  }

  @Test
  void onlyVerifiedAnnouncementsOfTheCurrentVersionOfThisModelPass() throws Exception {
    Path registry = tmp.resolve("registry");
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
    try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new VerifyModelUpdates(config(registry)))) {
      ModelUpdateEvent good = TestRegistry.announcement(v2);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(good), 0), 0);
      h.processElement(raw("{broken".getBytes(StandardCharsets.UTF_8), 1), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(TestRegistry.announcement(v1)), 2), 0); // replayed: v2 is current
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent("other-model", 1, v1.dir().toUri().toString(), v1.sha256(), "dae", 0, "publish")), 3), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent(TestRegistry.NAME, 2, tmp.toUri().toString(), v2.sha256(), "dae", 0, "publish")), 4), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent(TestRegistry.NAME, 2, v2.dir().toUri().toString(), "0".repeat(64), "dae", 0, "publish")), 5), 0);
      // a version label the registry never made current, for the current bundle
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent(TestRegistry.NAME, 7, v2.dir().toUri().toString(), v2.sha256(), "dae", 9, "publish")), 6), 0);
      ModelRegistry.Version v3 = TestRegistry.publish(registry, 3);
      TestRegistry.corrupt(v3);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(TestRegistry.announcement(v3)), 7), 0);

      assertEquals(List.of(good), h.extractOutputValues());
      List<DeadLetterEvent> dead = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
      assertEquals(List.of(1L, 2L, 4L, 5L, 6L, 7L), dead.stream().map(DeadLetterEvent::offset).toList(), "another model's announcement is ignored");
      assertThat(dead.get(0).error()).startsWith("not JSON");
      assertThat(dead.get(1).error()).isEqualTo("refused model ml v1: model 'ml' v1 is not the registry's current version (v2)");
      assertThat(dead.get(2).error()).contains("outside the registry root");
      assertThat(dead.get(3).error()).contains("the announcement says " + "0".repeat(64));
      assertThat(dead.get(4).error()).isEqualTo("refused model ml v7: model 'ml' v7 is not the registry's current version (v2)");
      assertThat(dead.get(5).error()).contains("refused model ml v3").contains("SHA-256 mismatch");
    }
  }

  @Test
  void theRegistryPointerDecidesWhichAnnouncementPasses() throws Exception {
    Path registry = tmp.resolve("registry");
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
    try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new VerifyModelUpdates(config(registry)))) {
      new ModelRegistry(registry).rollback(TestRegistry.NAME);
      ModelUpdateEvent rolledBack = ModelUpdateEvent.of(v1.name(), 1, v1.dir(), v1.sha256(), v1.modelType(), 10, "rollback");
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(rolledBack), 0), 0);
      // the topic read from its start again, as a new job does: v2's announcement is history now
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(TestRegistry.announcement(v2)), 1), 0);

      assertEquals(List.of(rolledBack), h.extractOutputValues());
      List<DeadLetterEvent> dead = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
      assertEquals(List.of("refused model ml v2: model 'ml' v2 is not the registry's current version (v1)"),
          dead.stream().map(DeadLetterEvent::error).toList());
    }
  }

  private static RawRecord raw(byte[] value, long offset) {
    return new RawRecord("model-updates", 0, offset, 0, value);
  }
}
