package dev.recsys.contracts;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopicsTest {

  @Test
  void threeReplicasOrMoreNeedTwoInSync() {
    for (Topics.Spec spec : Topics.ALL) {
      assertThat(Topics.configs(spec, (short) 1)).isEqualTo(spec.configs()).doesNotContainKey("min.insync.replicas");
      assertThat(Topics.configs(spec, (short) 2)).doesNotContainKey("min.insync.replicas");
      for (short rf : new short[] {3, 5}) {
        assertThat(Topics.configs(spec, rf)).containsEntry("min.insync.replicas", "2")
            .containsAllEntriesOf(spec.configs()).hasSize(spec.configs().size() + 1);
      }
    }
  }
}
