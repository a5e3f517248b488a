package dev.recsys.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.WeightsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crafted weights files: a corrupt header is refused before anything is allocated for it. */
class WeightsFileTest {

  private static final int MAGIC = 0x54575352;

  @TempDir Path tmp;

  /** Magic, version 1 and the tensor count, then {@code rest}, little-endian. */
  private Path file(int count, ByteBuffer rest) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(12 + rest.flip().remaining()).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(MAGIC).putInt(1).putInt(count).put(rest);
    Path f = tmp.resolve("weights.bin");
    Files.write(f, b.array());
    return f;
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** One tensor named "w" with these dimensions, followed by {@code floats} zero values. */
  private Path oneTensor(long[] dims, int floats) throws IOException {
    ByteBuffer b = le(4 + 1 + 4 + 8 * dims.length + 4 * floats).putInt(1).put((byte) 'w').putInt(dims.length);
    for (long d : dims) {
      b.putLong(d);
    }
    return file(1, b.position(b.capacity()));
  }

  private static BundleException refused(Path f) {
    BundleException e = assertThrows(BundleException.class, () -> WeightsFile.read(f));
    assertEquals(f, e.file());
    assertThat(e.getMessage()).contains(f.toString());
    return e;
  }

  @Test
  void sixteenByteFileDeclaringAHugeNameIsRefused() throws IOException {
    Path f = file(1, le(4).putInt(Integer.MAX_VALUE));
    assertEquals(16, Files.size(f));
    assertThat(refused(f).getMessage()).contains("tensor #0: name length 2147483647 (at most 1024, and 0 bytes remain)");
  }

  @Test
  void hugeRankIsRefused() throws IOException {
    Path f = file(1, le(9).putInt(1).put((byte) 'w').putInt(1_000_000_000));
    assertThat(refused(f).getMessage()).contains("tensor w: rank 1000000000 (at most 8, and 0 bytes remain)");
  }

  @Test
  void dimensionsWhoseByteSizeOverflowsAreRefused() throws IOException {
    // 2^62 floats: 4 bytes each wraps to 0, which fitted in the old size check
    Path f = oneTensor(new long[] {1L << 31, 1L << 31}, 0);
    assertThat(refused(f).getMessage()).contains("truncated: tensor w [2147483648, 2147483648] needs 4611686018427387904 floats, 0 bytes remain");
  }

  @Test
  void dimensionsWhoseProductOverflowsAreRefused() throws IOException {
    // 2^80 wraps to 0 elements: without multiplyExact this read as an empty tensor
    Path f = oneTensor(new long[] {1L << 40, 1L << 40}, 0);
    assertThat(refused(f).getMessage()).contains("tensor w: the dimensions [1099511627776, 1099511627776] overflow a 64-bit size");
  }

  @Test
  void negativeDimensionsAreRefused() throws IOException {
    // (-2) * (-2) = 4, and four values follow: only the sign gives it away
    Path f = oneTensor(new long[] {-2, -2}, 4);
    assertThat(refused(f).getMessage()).contains("tensor w: negative dimension -2");
  }

  @Test
  void aNegativeCountIsRefused() throws IOException {
    Path f = file(-1, le(0));
    assertThat(refused(f).getMessage()).contains("negative tensor count -1");
  }

  @Test
  void duplicateTensorNamesAreRefused() throws IOException {
    ByteBuffer one = le(4 + 1 + 4 + 8 + 4).putInt(1).put((byte) 'w').putInt(1).putLong(1).putFloat(0.5f);
    Path f = file(2, le(2 * one.capacity()).put(one.array()).put(one.array()));
    assertThat(refused(f).getMessage()).contains("duplicate tensor w");
  }

  @Test
  void aValidFileStillReads() throws IOException {
    Path f = tmp.resolve("ok.bin");
    WeightsFile.write(f, Map.of("enc0.weight", new Tensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})));
    Map<String, Tensor> back = WeightsFile.read(f);
    assertEquals(Set.of("enc0.weight"), back.keySet());
    assertArrayEquals(new long[] {2, 3}, back.get("enc0.weight").shape());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, back.get("enc0.weight").data());
  }
}
