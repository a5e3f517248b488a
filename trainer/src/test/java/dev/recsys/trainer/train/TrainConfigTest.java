package dev.recsys.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.recsys.model.ModelType;
import org.junit.jupiter.api.Test;

class TrainConfigTest {

  @Test
  void paperSettings() {
    TrainConfig vae = TrainConfig.paper(ModelType.VAE);
    assertArrayEquals(new int[] {600}, vae.hidden());
    assertEquals(200, vae.latent());
    assertEquals(200, vae.epochs());
    assertEquals(500, vae.batchSize());
    assertEquals(1e-3, vae.learningRate());
    assertEquals(0.5f, vae.inputDropout());
    assertEquals(0.2, vae.annealCap());
    assertEquals(200_000, vae.totalAnnealSteps());
    assertEquals(98765, vae.seed());
    assertEquals(500, vae.evalBatchSize());
    TrainConfig dae = TrainConfig.paper(ModelType.DAE);
    assertArrayEquals(new int[0], dae.hidden());
    assertEquals(0.01 / 500, dae.daeL2());
  }

  @Test
  void daeL2FollowsTheFinalBatchSizeOnly() {
    TrainConfig c = TrainConfig.builder(ModelType.DAE).batchSize(100).seed(1).epochs(3).build();
    assertEquals(0.01 / 100, c.daeL2());
    assertEquals(1, c.seed());
    assertEquals(3, c.epochs());
    // the other settings leave it alone, and the evaluation batch stays the paper's
    TrainConfig d = TrainConfig.builder(ModelType.DAE).seed(1).batchSize(250).latent(32).build();
    assertEquals(0.01 / 250, d.daeL2());
    assertEquals(500, d.evalBatchSize());
  }

  @Test
  void theBuilderKeepsItsOwnCopyOfTheLayers() {
    int[] hidden = {64};
    TrainConfig.Builder b = TrainConfig.builder(ModelType.VAE).hidden(hidden).latent(16);
    hidden[0] = 1;
    TrainConfig c = b.build();
    assertArrayEquals(new int[] {64}, c.hidden());
    assertEquals(16, c.latent());
  }
}
