package dev.recsys.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.recsys.model.ModelType;
import dev.recsys.trainer.data.SplitData;
import dev.recsys.trainer.train.AutoencoderTrainer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training reads no memory the garbage collector may free. While a model trains, a second thread
 * fills freshly allocated direct buffers with NaN and forces collections, so that any tensor left
 * resting on a freed Java buffer reads NaN. Every batch's loss must still be that of an undisturbed
 * run with the same seed. With the loss built from DJL's {@code Number} overloads (whose scalars the
 * backward pass reads after they are freed, see {@code Scalar}) this failed within a few updates.
 */
class TrainingMemoryTest {

  private static final int EPOCHS = 8;

  @TempDir static Path tmp;
  static SplitData data;

  @BeforeAll
  static void data() throws Exception {
    data = TestData.split(tmp.resolve("data"), 800, 240, 80, 11);
  }

  @ParameterizedTest
  @EnumSource(ModelType.class)
  void everyLossUnderDirectMemoryChurnIsThatOfAnUndisturbedRun(ModelType type) throws Exception {
    double[] undisturbed = losses(type);
    double[] churned;
    Churn churn = new Churn();
    churn.start();
    try {
      churned = losses(type);
    } finally {
      churn.interrupt();
      churn.join();
    }
    assertThat(churn.collections).as("the churn forced collections while the model trained").isGreaterThan(10);
    assertThat(churned).hasSameSizeAs(undisturbed).hasSize(EPOCHS * 7);
    for (int i = 0; i < undisturbed.length; i++) {
      assertThat(churned[i]).as("loss of update %d", i + 1).isFinite().isCloseTo(undisturbed[i], within(1e-5 * Math.abs(undisturbed[i])));
    }
  }

  private static double[] losses(ModelType type) throws Exception {
    List<Double> losses = new ArrayList<>();
    try (AutoencoderTrainer t = new AutoencoderTrainer(TrainingTest.small(type, EPOCHS), data.numItems(), Device.cpu())) {
      t.fit(data, null, new AutoencoderTrainer.Listener() {
        @Override
        public void batchDone(int epoch, int batch, double loss) {
          losses.add(loss);
        }
      });
    }
    return losses.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Allocates direct buffers of every size from 4 bytes to 64 KiB, all NaN, and drops them in heaps. */
  private static final class Churn extends Thread {
    volatile int collections;

    Churn() {
      setDaemon(true);
    }

    @Override
    public void run() {
      SplittableRandom rnd = new SplittableRandom(1);
      List<ByteBuffer> held = new ArrayList<>();
      while (!isInterrupted()) {
        ByteBuffer b = ByteBuffer.allocateDirect(4 * (1 + rnd.nextInt(1 << 14)));
        for (int i = 0; i + 4 <= b.capacity(); i += 4) {
          b.putFloat(i, Float.NaN);
        }
        held.add(b);
        if (held.size() == 200) {
          held.clear();
          System.gc();
          collections++;
        }
      }
    }
  }
}
