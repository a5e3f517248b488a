package dev.recsys.model.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.recsys.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Float32 tensors in the safetensors format (huggingface/safetensors), which PyTorch ({@code
 * safetensors.torch.load_file}), numpy and most other tools read directly:
 *
 * <pre>
 * u64 little-endian N | N bytes of UTF-8 JSON header, padded with spaces | data
 * header: {"name": {"dtype": "F32", "shape": [d0, d1], "data_offsets": [begin, end]}, ...,
 *          "__metadata__": {"key": "value", ...} (optional, ignored)}
 * data:   each tensor's values, row-major, little-endian, at [begin, end) of the data
 * </pre>
 *
 * <p>The reader is strict, since a bundle or a state dict to import may come from anywhere: the
 * header must fit the file before anything is allocated for it, must be well-formed JSON without
 * duplicate keys, every tensor must be {@code F32} (the only dtype the model uses) with a shape
 * whose size its byte range holds, and the ranges must tile the data exactly, with no gap, overlap
 * or trailing bytes. Anything else is a {@link BundleException} naming the file and the tensor.
 *
 * <p>DJL's {@code NDList} reads and writes this format too, but its decoder allocates whatever a
 * header declares, checks neither dtypes nor the tiling, and both ends need an engine and native
 * memory; the tests use it as a second reader.
 */
public final class SafetensorsFile {

  /** The one dtype read and written: the model computes in float32. */
  public static final String DTYPE = "F32";

  /** The reference implementation refuses larger headers; so does this one. */
  static final long MAX_HEADER_BYTES = 100_000_000;

  /** The model's tensors are matrices and vectors; a higher rank is a corrupt header. */
  private static final int MAX_RANK = 8;

  private static final String METADATA = "__metadata__";
  private static final Set<String> TENSOR_KEYS = Set.of("dtype", "shape", "data_offsets");
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private SafetensorsFile() {}

  /** Writes the tensors, in map order, into a new file. */
  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (e.getKey().equals(METADATA)) {
        throw new IllegalArgumentException("a tensor cannot be named " + METADATA);
      }
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", DTYPE);
      ArrayNode shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long end = offset + 4L * e.getValue().data().length;
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // padded with spaces so that the data starts 8-byte aligned, as the reference writer does
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = le(8 + padded).putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      writeFully(ch, head.flip());
      for (Tensor t : tensors.values()) {
        ByteBuffer body = le(4 * t.data().length);
        body.asFloatBuffer().put(t.data());
        writeFully(ch, body);
      }
      ch.force(true);
    }
  }

  /** Reads every tensor of a file no larger than a byte array holds. */
  public static Map<String, Tensor> read(Path file) throws IOException {
    long size = Files.size(file);
    if (size > ModelBundle.MAX_FILE_BYTES) {
      throw new BundleException(file, "too large: " + size + " bytes (at most " + ModelBundle.MAX_FILE_BYTES + ")");
    }
    return parse(file, Files.readAllBytes(file));
  }

  /** One header entry, before its data is read. */
  private record Entry(String name, long[] shape, long begin, long end) {}

  /**
   * Parses the bytes of {@code file} (already in memory, so that what was hashed is what is
   * parsed) into its tensors, in header order.
   */
  public static Map<String, Tensor> parse(Path file, byte[] bytes) {
    if (bytes.length < 8) {
      throw new BundleException(file, "truncated: " + bytes.length + " bytes, shorter than the 8-byte header length");
    }
    long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    // unsigned: a length with the top bit set is negative here, and just as much too large
    if (n < 2 || n > bytes.length - 8 || n > MAX_HEADER_BYTES) {
      throw new BundleException(
          file, "not a safetensors file: header length " + Long.toUnsignedString(n) + " (the file has " + (bytes.length - 8)
              + " bytes after the length, and a header holds 2 to " + MAX_HEADER_BYTES + ")");
    }
    int headerEnd = 8 + (int) n;
    int jsonEnd = headerEnd;
    while (jsonEnd > 8 && bytes[jsonEnd - 1] == ' ') {
      jsonEnd--; // the padding the format allows
    }
    if (bytes[8] != '{' || bytes[jsonEnd - 1] != '}') {
      throw new BundleException(file, "not a safetensors file: the header is not a JSON object");
    }
    JsonNode header = parseHeader(file, bytes, jsonEnd);
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, JsonNode> f : header.properties()) {
      if (f.getKey().equals(METADATA)) {
        checkMetadata(file, f.getValue());
      } else {
        entries.add(entry(file, f.getKey(), f.getValue()));
      }
    }
    long dataLength = bytes.length - headerEnd;
    checkTiling(file, entries, dataLength);
    ByteBuffer data = ByteBuffer.wrap(bytes, headerEnd, (int) dataLength).slice().order(ByteOrder.LITTLE_ENDIAN);
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (Entry e : entries) {
      float[] values = new float[(int) ((e.end() - e.begin()) / 4)];
      data.position((int) e.begin());
      data.asFloatBuffer().get(values);
      out.put(e.name(), new Tensor(e.shape(), values));
    }
    return out;
  }

  private static JsonNode parseHeader(Path file, byte[] bytes, int jsonEnd) {
    CharBuffer text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes, 8, jsonEnd - 8));
    } catch (CharacterCodingException e) {
      throw new BundleException(file, "the safetensors header is not valid UTF-8");
    }
    try {
      return JSON.readTree(text.toString());
    } catch (JsonProcessingException e) {
      throw new BundleException(file, "the safetensors header is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** The format allows a string-to-string map of free-form metadata; this reader ignores it. */
  private static void checkMetadata(Path file, JsonNode metadata) {
    if (!metadata.isObject()) {
      throw new BundleException(file, METADATA + " must be an object of strings");
    }
    for (Map.Entry<String, JsonNode> m : metadata.properties()) {
      if (!m.getValue().isTextual()) {
        throw new BundleException(file, METADATA + " entry '" + m.getKey() + "' is not a string");
      }
    }
  }

  private static Entry entry(Path file, String name, JsonNode node) {
    String where = "tensor " + name;
    if (!node.isObject()) {
      throw new BundleException(file, where + ": its header entry is not an object");
    }
    for (Map.Entry<String, JsonNode> k : node.properties()) {
      if (!TENSOR_KEYS.contains(k.getKey())) {
        throw new BundleException(file, where + ": unknown header key '" + k.getKey() + "' (expected dtype, shape and data_offsets)");
      }
    }
    JsonNode dtype = node.get("dtype");
    if (dtype == null || !dtype.isTextual()) {
      throw new BundleException(file, where + ": no dtype");
    }
    if (!dtype.asText().equals(DTYPE)) {
      throw new BundleException(
          file, where + " has dtype " + dtype.asText() + ", but only " + DTYPE + " is accepted (in PyTorch, save model.float().state_dict())");
    }
    long[] shape = longs(file, where, "shape", node.get("shape"), -1);
    if (shape.length > MAX_RANK) {
      throw new BundleException(file, where + ": rank " + shape.length + " (at most " + MAX_RANK + ")");
    }
    long[] offsets = longs(file, where, "data_offsets", node.get("data_offsets"), 2);
    if (offsets[1] < offsets[0]) {
      throw new BundleException(file, where + ": data_offsets " + Arrays.toString(offsets) + " end before they begin");
    }
    long size = 1;
    for (long d : shape) {
      try {
        size = Math.multiplyExact(size, d);
      } catch (ArithmeticException e) {
        throw new BundleException(file, where + ": the shape " + Arrays.toString(shape) + " overflows a 64-bit size");
      }
    }
    if (size > (offsets[1] - offsets[0]) / 4 || offsets[1] - offsets[0] != 4 * size) {
      throw new BundleException(
          file, where + ": shape " + Arrays.toString(shape) + " holds " + size + " F32 values, but data_offsets "
              + Arrays.toString(offsets) + " span " + (offsets[1] - offsets[0]) + " bytes");
    }
    return new Entry(name, shape, offsets[0], offsets[1]);
  }

  /** A JSON array of non-negative integers ({@code length} of them, unless negative). */
  private static long[] longs(Path file, String where, String key, JsonNode node, int length) {
    if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
      throw new BundleException(file, where + ": " + key + " must be an array of " + (length >= 0 ? length + " " : "") + "integers");
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = node.get(i);
      if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
        throw new BundleException(file, where + ": " + key + " " + node + " must hold non-negative 64-bit integers");
      }
      out[i] = v.asLong();
    }
    return out;
  }

  /** The byte ranges, in order, must cover [0, dataLength) exactly once. */
  private static void checkTiling(Path file, List<Entry> entries, long dataLength) {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    long at = 0;
    String previous = null;
    for (Entry e : sorted) {
      if (e.begin() != at) {
        throw new BundleException(
            file, "tensor " + e.name() + ": data_offsets [" + e.begin() + ", " + e.end() + "] "
                + (e.begin() < at ? "overlap" : "leave a gap after") + " " + (previous == null ? "the start of the data" : "tensor " + previous + ", which ends at " + at));
      }
      at = e.end();
      previous = e.name();
    }
    if (at != dataLength) {
      throw new BundleException(
          file, at > dataLength
              ? "truncated: tensor " + previous + " ends at data byte " + at + ", but the data holds " + dataLength
              : (dataLength - at) + " bytes of data after the last tensor's end (" + at + ")");
    }
  }

  private static ByteBuffer le(int size) {
    return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
