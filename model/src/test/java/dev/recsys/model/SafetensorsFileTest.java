package dev.recsys.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.bundle.BundleException;
import dev.recsys.model.bundle.ModelBundle;
import dev.recsys.model.bundle.RandomBundle;
import dev.recsys.model.bundle.SafetensorsFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundle's weights file: what we write is what other readers of the format read, and a hostile
 * file is refused, naming file and tensor, before anything is allocated for what it declares.
 */
class SafetensorsFileTest {

  private static final Architecture ARCH = new Architecture(ModelType.VAE, 30, new int[] {7}, 3);

  @TempDir Path tmp;

  /** A file: the header length, the header and {@code dataBytes} bytes of data (floats 0, 1, 2, ...). */
  private Path file(long headerLength, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLength).put(h);
    for (int i = 0; b.remaining() >= 4; i++) {
      b.putFloat(i);
    }
    Path f = tmp.resolve("w" + System.nanoTime() + ".safetensors");
    Files.write(f, b.array());
    return f;
  }

  private Path file(String header, int dataBytes) throws IOException {
    return file(header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
  }

  private static BundleException refused(Path f) {
    BundleException e = assertThrows(BundleException.class, () -> SafetensorsFile.read(f));
    assertEquals(f, e.file());
    assertThat(e.getMessage()).contains(f.toString());
    return e;
  }

  @Test
  void aHeaderLengthBeyondTheFileIsRefusedBeforeAllocating() throws IOException {
    Path f = file(1L << 40, "{}", 0);
    assertEquals(10, Files.size(f));
    assertThat(refused(f).getMessage()).contains("not a safetensors file: header length 1099511627776 (the file has 2 bytes after the length");
    // a length with the top bit set must not pass as negative
    assertThat(refused(file(-8, "{}", 0)).getMessage()).contains("header length 18446744073709551608");
    assertThat(refused(file(1, "{}", 0)).getMessage()).contains("header length 1 ");
    Path tiny = tmp.resolve("tiny");
    Files.write(tiny, new byte[] {1, 0, 0});
    assertThat(refused(tiny).getMessage()).contains("truncated: 3 bytes, shorter than the 8-byte header length");
  }

  @Test
  void aHeaderThatIsNotOneJsonObjectIsRefused() throws IOException {
    assertThat(refused(file("[1, 2]", 0)).getMessage()).contains("the header is not a JSON object");
    assertThat(refused(file("{\"a\": 1} {}", 0)).getMessage()).contains("not valid JSON");
    assertThat(refused(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},}", 4)).getMessage())
        .contains("not valid JSON");
    String latin1 = "{\"\u00e9\": 1}";
    Path f = tmp.resolve("latin1");
    byte[] h = latin1.getBytes(StandardCharsets.ISO_8859_1);
    Files.write(f, ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array());
    assertThat(refused(f).getMessage()).contains("the safetensors header is not valid UTF-8");
  }

  @Test
  void duplicateTensorNamesAreRefused() throws IOException {
    String t = "{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}";
    assertThat(refused(file("{\"w\": " + t + ", \"w\": " + t + "}", 4)).getMessage()).contains("Duplicate field 'w'");
  }

  @Test
  void onlyF32IsAccepted() throws IOException {
    Path f = file("{\"q_layers.0.weight\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [0, 4]}}", 4);
    assertThat(refused(f).getMessage()).contains("tensor q_layers.0.weight has dtype BF16, but only F32 is accepted");
  }

  @Test
  void shapesThatOverflowOrAreNegativeAreRefused() throws IOException {
    // 2^80 wraps to 0 values: without multiplyExact this would read as an empty tensor
    assertThat(refused(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776], \"data_offsets\": [0, 0]}}", 0))
            .getMessage())
        .contains("tensor w: the shape [1099511627776, 1099511627776] overflows a 64-bit size");
    // (-2) * (-2) = 4, and four values follow: only the sign gives it away
    assertThat(refused(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [-2, -2], \"data_offsets\": [0, 16]}}", 16)).getMessage())
        .contains("tensor w: shape [-2,-2] must hold non-negative 64-bit integers");
    assertThat(refused(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 8]}}", 8)).getMessage())
        .contains("tensor w: shape [2.5] must hold non-negative 64-bit integers");
    assertThat(refused(file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,1,1,1,1], \"data_offsets\": [0, 4]}}", 4)).getMessage())
        .contains("tensor w: rank 9 (at most 8)");
  }

  @Test
  void aShapeMustFillItsByteRange() throws IOException {
    Path f = file("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 20);
    assertThat(refused(f).getMessage()).contains("tensor w: shape [2, 3] holds 6 F32 values, but data_offsets [0, 20] span 20 bytes");
    f = file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 8);
    assertThat(refused(f).getMessage()).contains("tensor w: data_offsets [8, 4] end before they begin");
    f = file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 4);
    assertThat(refused(f).getMessage()).contains("tensor w: data_offsets must be an array of 2 integers");
  }

  @Test
  void byteRangesMustTileTheDataExactly() throws IOException {
    String a = "\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}";
    assertThat(refused(file("{" + a + ", \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}", 12)).getMessage())
        .contains("tensor b: data_offsets [8, 12] leave a gap after tensor a, which ends at 4");
    assertThat(refused(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, "
            + "\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12)).getMessage())
        .contains("tensor b: data_offsets [4, 12] overlap tensor a, which ends at 8");
    assertThat(refused(file("{\"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8)).getMessage())
        .contains("tensor b: data_offsets [4, 8] leave a gap after the start of the data");
    assertThat(refused(file("{" + a + "}", 12)).getMessage()).contains("8 bytes of data after the last tensor's end (4)");
    // 2^62 bytes declared, 8 present: refused without allocating for the declaration
    assertThat(refused(file("{\"a\": {\"dtype\": \"F32\", \"shape\": [1152921504606846976], \"data_offsets\": [0, 4611686018427387904]}}", 8))
            .getMessage())
        .contains("truncated: tensor a ends at data byte 4611686018427387904, but the data holds 8");
  }

  @Test
  void unknownKeysAndBadMetadataAreRefused() throws IOException {
    Path f = file("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"offset\": 0}}", 4);
    assertThat(refused(f).getMessage()).contains("tensor w: unknown header key 'offset'");
    f = file("{\"__metadata__\": {\"format\": 1}, \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4);
    assertThat(refused(f).getMessage()).contains("__metadata__ entry 'format' is not a string");
  }

  @Test
  void readsWhatTheFormatAllows() throws IOException {
    // metadata, padding, tensors out of data order, a scalar and an empty tensor
    String header = "{\"__metadata__\": {\"format\": \"pt\"}, \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 16]},"
        + " \"s\": {\"dtype\": \"F32\", \"shape\": [], \"data_offsets\": [4, 8]}, \"e\": {\"dtype\": \"F32\", \"shape\": [0, 3], \"data_offsets\": [0, 0]},"
        + " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}    ";
    Map<String, Tensor> t = SafetensorsFile.read(file(header, 16));
    assertThat(t.keySet()).containsExactly("b", "s", "e", "a");
    assertArrayEquals(new float[] {0}, t.get("a").data());
    assertArrayEquals(new float[] {1}, t.get("s").data());
    assertArrayEquals(new long[0], t.get("s").shape());
    assertArrayEquals(new float[] {2, 3}, t.get("b").data());
    assertArrayEquals(new long[] {0, 3}, t.get("e").shape());
  }

  @Test
  void writtenFilesReadBackAndAreAligned() throws IOException {
    Map<String, Tensor> w = RandomBundle.weights(ARCH, 5);
    Path f = tmp.resolve("w.safetensors");
    SafetensorsFile.write(f, w);
    long n = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8, "the data starts 8-byte aligned");
    Map<String, Tensor> back = SafetensorsFile.read(f);
    assertThat(back.keySet()).containsExactlyElementsOf(w.keySet());
    for (Map.Entry<String, Tensor> e : w.entrySet()) {
      assertArrayEquals(e.getValue().shape(), back.get(e.getKey()).shape(), e.getKey());
      assertArrayEquals(e.getValue().data(), back.get(e.getKey()).data(), 0f, e.getKey());
    }
  }

  @Test
  void aPythonReaderOfTheFormatReadsABundlesWeights() throws Exception {
    Python.assumeAvailable();
    long[] movies = LongStream.range(0, ARCH.numItems()).map(i -> 500 + i).toArray();
    ModelBundle bundle = RandomBundle.write(tmp.resolve("bundle"), ARCH, movies, 11);
    String out = Python.run(Python.class, "read_safetensors.py", tmp, tmp.resolve("bundle").resolve(ModelBundle.WEIGHTS).toString());
    JsonNode read = new ObjectMapper().readTree(out);
    List<String> names = new ArrayList<>();
    read.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactlyElementsOf(ARCH.parameterShapes().keySet());
    for (Map.Entry<String, Tensor> e : bundle.weights().entrySet()) {
      JsonNode t = read.get(e.getKey());
      assertEquals("F32", t.get("dtype").asText());
      long[] shape = new long[t.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.get("shape").get(i).asLong();
      }
      assertArrayEquals(ARCH.parameterShapes().get(e.getKey()), shape, e.getKey());
      float[] values = new float[t.get("values").size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) t.get("values").get(i).asDouble(); // Python's doubles of float32 values: exact
      }
      assertArrayEquals(e.getValue().data(), values, 0f, e.getKey());
    }
  }

  @Test
  void djlsSafetensorsDecoderReadsABundlesWeights() throws IOException {
    long[] movies = LongStream.range(0, ARCH.numItems()).toArray();
    ModelBundle bundle = RandomBundle.write(tmp.resolve("bundle"), ARCH, movies, 12);
    DjlRuntime.configure();
    try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
      NDList list = NDList.decode(m, Files.readAllBytes(tmp.resolve("bundle").resolve(ModelBundle.WEIGHTS)));
      Map<String, NDArray> byName = new LinkedHashMap<>();
      for (NDArray a : list) {
        byName.put(a.getName(), a);
      }
      assertThat(byName.keySet()).containsExactlyElementsOf(ARCH.parameterShapes().keySet());
      for (Map.Entry<String, Tensor> e : bundle.weights().entrySet()) {
        assertArrayEquals(e.getValue().shape(), byName.get(e.getKey()).getShape().getShape(), e.getKey());
        assertArrayEquals(e.getValue().data(), byName.get(e.getKey()).toFloatArray(), 0f, e.getKey());
      }
    }
  }
}
