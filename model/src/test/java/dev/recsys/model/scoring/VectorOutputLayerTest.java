package dev.recsys.model.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.recsys.model.Architecture;
import dev.recsys.model.ModelType;
import dev.recsys.model.Tensor;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorOutputLayerTest {

  @Test
  void theTestJvmResolvesTheVectorApi() {
    // the build's test JVMs run with --add-modules=jdk.incubator.vector, so the tests below exercise the Java layer
    assertThat(Scorer.vectorApi()).isTrue();
  }

  @Test
  void logitsMatchADoublePrecisionProductForEveryBatchSizeAndAnUnevenCatalogue() {
    SplittableRandom rnd = new SplittableRandom(5);
    int h = 7;
    for (int items : new int[] {1, 31, 64, 1013}) { // below one block, around one, and whole blocks plus a tail
      float[] w = random(h * items, rnd);
      float[] b = random(items, rnd);
      VectorOutputLayer layer = VectorOutputLayer.of(new Tensor(new long[] {h, items}, w), new Tensor(new long[] {items}, b));
      for (int rows : new int[] {1, 2, 3, 4, 5, 9}) { // whole and partial groups of four users
        float[] d = random(rows * h, rnd);
        float[] out = new float[rows * items];
        layer.logits(d, rows, out, 1);
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < items; c++) {
            double expected = b[c];
            for (int k = 0; k < h; k++) {
              expected += (double) d[r * h + k] * w[k * items + c];
            }
            assertThat((double) out[r * items + c]).as("items %d, rows %d, user %d, item %d", items, rows, r, c)
                .isCloseTo(expected, org.assertj.core.api.Assertions.offset(1e-5));
          }
        }
        float[] split = new float[rows * items];
        layer.logits(d, rows, split, 3);
        assertThat(split).as("the same blocks, on three threads").containsExactly(out);
      }
    }
  }

  @Test
  void aScorerRanksAsWithLibtorchsOutputLayer(@TempDir Path tmp) throws Exception {
    int items = 700;
    long[] movies = LongStream.range(0, items).map(i -> 10 + 3 * i).toArray();
    ModelBundle bundle = RandomBundle.write(tmp.resolve("b"), new Architecture(ModelType.VAE, items, new int[] {64}, 16), movies, 9);
    SplittableRandom rnd = new SplittableRandom(6);
    List<UserQuery> users = new ArrayList<>();
    for (int u = 0; u < 11; u++) {
      users.add(UserQuery.ofItems(LongStream.range(0, 1 + rnd.nextInt(30)).map(i -> movies[rnd.nextInt(items)]).distinct().toArray()));
    }
    try (Scorer java = Scorer.open(bundle, Device.cpu(), ScoringMode.EXACT, true);
        Scorer torch = Scorer.open(bundle, Device.cpu(), ScoringMode.EXACT, false)) {
      assertThat(java.outputLayerEngine()).isEqualTo("Vector API");
      assertThat(torch.outputLayerEngine()).isEqualTo("libtorch");
      List<Recommendations> a = java.score(users, 50);
      List<Recommendations> b = torch.score(users, 50);
      for (int u = 0; u < users.size(); u++) {
        List<ScoredItem> x = a.get(u).items();
        List<ScoredItem> y = b.get(u).items();
        assertThat(x).hasSize(50).hasSameSizeAs(y);
        for (int j = 0; j < x.size(); j++) {
          assertThat((double) x.get(j).score()).as("user %d, rank %d", u, j).isCloseTo(y.get(j).score(), org.assertj.core.api.Assertions.offset(1e-4));
          if (j + 1 < y.size() && y.get(j).score() - y.get(j + 1).score() > 1e-4 && (j == 0 || y.get(j - 1).score() - y.get(j).score() > 1e-4)) {
            assertThat(x.get(j).movieId()).as("user %d, rank %d (no near-tie)", u, j).isEqualTo(y.get(j).movieId());
          }
        }
      }
    }
  }

  private static float[] random(int n, SplittableRandom rnd) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) rnd.nextDouble(-1, 1);
    }
    return a;
  }
}
