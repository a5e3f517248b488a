package dev.recsys.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/** The PyTorch engine must start from the jars alone: offline, with libtorch in our cache dir. */
class DjlOfflineTest {

  @Test
  void pytorchEngineStartsOffline() {
    DjlRuntime.configure();
    assertEquals("true", System.getProperty("ai.djl.offline"));
    Engine engine = Engine.getInstance();
    assertEquals("PyTorch", engine.getEngineName());
    try (NDManager m = NDManager.newBaseManager()) {
      assertEquals(6f, m.create(new float[] {1, 2, 3}).sum().getFloat(), 0f);
    }
    assertEquals(ai.djl.Device.cpu(), DjlRuntime.device("cpu"));
    if (engine.getGpuCount() == 0) {
      assertEquals(ai.djl.Device.cpu(), DjlRuntime.device("auto"));
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DjlRuntime.device("gpu"));
      org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains("no GPU");
    } else {
      assertEquals(ai.djl.Device.gpu(), DjlRuntime.device("auto"));
    }
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> DjlRuntime.device("tpu"));
  }
}
