package dev.recsys.app.bench;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobBenchWindowsTest {

  @Test
  void aWindowLongerThanItsUncountedSecondsPasses() {
    assertThatCode(() -> JobBench.requireLongerThanSettling(Map.of("--load-seconds", 6, "--saturation-seconds", 40))).doesNotThrowAnyException();
  }

  @Test
  void aWindowNoLongerThanItsUncountedSecondsIsRefusedByName() {
    Map<String, Integer> windows = new LinkedHashMap<>();
    windows.put("--load-seconds", 60);
    windows.put("--saturation-seconds", 5);
    windows.put("--capacity-probe-seconds", 3);
    assertThatThrownBy(() -> JobBench.requireLongerThanSettling(windows))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--saturation-seconds must be above 5: the first 5 s of each measured window are not counted");
  }
}
