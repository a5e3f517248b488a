package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.eval.Evaluator;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.eval.Popularity;
import dev.recsys.trainer.train.AutoencoderTrainer;
import dev.recsys.trainer.train.EpochStats;
import dev.recsys.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TrainingTest {

  @TempDir static Path tmp;
  static SplitData data;

  @BeforeAll
  static void data() throws Exception {
    data = TestData.split(tmp.resolve("data"), 800, 240, 80, 11);
  }

  static TrainConfig small(ModelType type, int epochs) {
    TrainConfig.Builder c = TrainConfig.builder(type).epochs(epochs).batchSize(100).seed(5);
    return (type == ModelType.VAE ? c.hidden(64).latent(16).annealing(0.2, 200) : c.latent(32)).build();
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void lossDecreasesAndModelBeatsPopularity(ModelType type) throws Exception {
    try (AutoencoderTrainer t = new AutoencoderTrainer(small(type, 15), data.numItems(), Device.cpu())) {
      AutoencoderTrainer.Outcome out = t.fit(data, null, new AutoencoderTrainer.Listener() {});
      List<EpochStats> h = out.history();
      assertEquals(15, h.size());
      assertThat(h.get(h.size() - 1).recon()).isLessThan(h.get(0).recon() * 0.97);
      if (type == ModelType.VAE) {
        assertThat(h.get(h.size() - 1).beta()).isGreaterThan(h.get(0).beta());
        assertThat(h.get(0).kl()).isPositive();
      }
      t.loadWeights(out.bestWeights());
      Metrics model = t.evaluate(data.testTr(), data.testTe());
      Metrics pop = Evaluator.evaluate(data.testTr(), data.testTe(), new Popularity(data.train()), 100);
      assertThat(model.users()).isEqualTo(pop.users()).isGreaterThan(40);
      assertThat(model.ndcg100()).as("%s vs popularity %s", model, pop).isGreaterThan(pop.ndcg100() * 1.15);
      assertThat(model.recall20()).isGreaterThan(pop.recall20());
    }
  }

  /**
   * Resuming restores the interrupted run's state exactly and trains only the epochs left.
   * (Comparing a resumed run's weights with an uninterrupted run's is not a test of resuming: with
   * Adam, last-bit differences in a GEMM, which MKL does not promise to repeat, grow into visible
   * ones within a few updates.)
   */
  @Test
  void resumeRestoresTheInterruptedRunAndTrainsOnlyWhatIsLeft() throws Exception {
    Path ckpt = tmp.resolve("ckpt");
    int batches = (data.train().rows() + 99) / 100;
    AutoencoderTrainer.Outcome first;
    float[] interruptedLogits;
    try (AutoencoderTrainer t = new AutoencoderTrainer(small(ModelType.VAE, 2), data.numItems(), Device.cpu())) {
      first = t.fit(data, ckpt, new AutoencoderTrainer.Listener() {});
      interruptedLogits = exportFirst(t).data();
    }
    // nothing left to train: the resumed trainer is the interrupted one
    try (AutoencoderTrainer t = new AutoencoderTrainer(small(ModelType.VAE, 2), data.numItems(), Device.cpu())) {
      AutoencoderTrainer.Outcome again = t.fit(data, ckpt, new AutoencoderTrainer.Listener() {});
      assertEquals(first.history(), again.history());
      assertEquals(first.bestEpoch(), again.bestEpoch());
      assertEquals(2L * batches, t.updates());
      assertArrayEquals(interruptedLogits, exportFirst(t).data(), 1e-6f);
      first.bestWeights().forEach((name, w) -> assertArrayEquals(w.data(), again.bestWeights().get(name).data(), name));
    }
    // one more epoch: only the third runs, on from the restored step count (β) and moments
    try (AutoencoderTrainer t = new AutoencoderTrainer(small(ModelType.VAE, 3), data.numItems(), Device.cpu())) {
      List<EpochStats> h = t.fit(data, ckpt, new AutoencoderTrainer.Listener() {}).history();
      assertEquals(3, h.size());
      assertEquals(first.history(), h.subList(0, 2));
      assertEquals(3L * batches, t.updates());
      assertThat(h.get(2).beta()).isGreaterThan(h.get(1).beta());
      assertThat(h.get(2).recon()).isFinite().isLessThan(h.get(0).recon());
    }
  }

  private static Tensor exportFirst(AutoencoderTrainer t) {
    float[] logits = t.logits(List.of(data.valTr().row(0), data.valTr().row(1)));
    return new Tensor(new long[] {logits.length}, logits);
  }
}
