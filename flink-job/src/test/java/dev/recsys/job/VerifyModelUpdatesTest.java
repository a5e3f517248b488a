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

  @Test
  void onlyVerifiedAnnouncementsOfThisModelPass() throws Exception {
    Path registry = tmp.resolve("registry");
    ModelRegistry.Version v1 = TestRegistry.publish(registry, 1);
    ModelRegistry.Version v2 = TestRegistry.publish(registry, 2);
    TestRegistry.corrupt(v2);
    JobConfig c = JobConfig.defaults().set(JobConfig.REGISTRY, registry.toString()).set(JobConfig.MODEL_NAME, TestRegistry.NAME);
    try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new VerifyModelUpdates(c))) {
      ModelUpdateEvent good = TestRegistry.announcement(v1);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(good), 0), 0);
      h.processElement(raw("{broken".getBytes(StandardCharsets.UTF_8), 1), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(TestRegistry.announcement(v2)), 2), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent("other-model", 1, v1.dir().toUri().toString(), v1.sha256(), "dae", 0, "publish")), 3), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent(TestRegistry.NAME, 1, tmp.toUri().toString(), v1.sha256(), "dae", 0, "publish")), 4), 0);
      h.processElement(raw(JsonCodec.MODEL_UPDATE.encode(
          new ModelUpdateEvent(TestRegistry.NAME, 1, v1.dir().toUri().toString(), "0".repeat(64), "dae", 0, "publish")), 5), 0);

      assertEquals(List.of(good), h.extractOutputValues());
      List<DeadLetterEvent> dead = h.getSideOutput(DeadLetters.TAG).stream().map(StreamRecord::getValue).toList();
      assertEquals(List.of(1L, 2L, 4L, 5L), dead.stream().map(DeadLetterEvent::offset).toList(), "another model's announcement is ignored");
      assertThat(dead.get(0).error()).startsWith("not JSON");
      assertThat(dead.get(1).error()).contains("refused model ml v2").contains("SHA-256 mismatch");
      assertThat(dead.get(2).error()).contains("outside the registry root");
      assertThat(dead.get(3).error()).contains("the announcement says " + "0".repeat(64));
    }
  }

  private static RawRecord raw(byte[] value, long offset) {
    return new RawRecord("model-updates", 0, offset, 0, value);
  }
}
