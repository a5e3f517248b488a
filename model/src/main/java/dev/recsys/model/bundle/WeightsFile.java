package dev.recsys.model.bundle;

import dev.recsys.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The bundle's parameter file: a small self-describing little-endian format that any language can
 * read without DJL.
 *
 * <pre>
 * magic "RSWT" | int32 version=1 | int32 count
 * per tensor: int32 nameLength | UTF-8 name | int32 rank | int64 dims[rank] | float32 data[prod(dims)]
 * </pre>
 */
public final class WeightsFile {

  private static final int MAGIC = 0x54575352; // "RSWT" read little-endian
  private static final int VERSION = 1;
  /** Parameter names are short ({@code enc0.weight}); a longer one is a corrupt header. */
  private static final int MAX_NAME_BYTES = 1024;
  /** The model's tensors are matrices and vectors; anything above this is a corrupt header. */
  private static final int MAX_RANK = 8;

  private WeightsFile() {}

  public static void write(Path file, Map<String, Tensor> tensors) throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer head = le(12).putInt(MAGIC).putInt(VERSION).putInt(tensors.size());
      writeFully(ch, head.flip());
      for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
        byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
        long[] shape = e.getValue().shape();
        ByteBuffer h = le(8 + name.length + 8 * shape.length).putInt(name.length).put(name).putInt(shape.length);
        for (long d : shape) {
          h.putLong(d);
        }
        writeFully(ch, h.flip());
        float[] data = e.getValue().data();
        ByteBuffer body = le(4 * data.length);
        body.asFloatBuffer().put(data);
        writeFully(ch, body);
      }
      ch.force(true);
    }
  }

  /** Reads every tensor; any structural problem is a {@link BundleException} naming the file. */
  public static Map<String, Tensor> read(Path file) throws IOException {
    return parse(file, Files.readAllBytes(file));
  }

  /**
   * Parses the bytes of {@code file} (already in memory, so what was hashed is what is parsed).
   * Every declared length is checked against the bytes that remain before anything is allocated: a
   * corrupt header must be a refusal, not an OutOfMemoryError.
   */
  public static Map<String, Tensor> parse(Path file, byte[] bytes) {
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (buf.remaining() < 12) {
      throw new BundleException(file, "truncated: " + buf.remaining() + " bytes, shorter than the 12-byte header");
    }
    if (buf.getInt() != MAGIC) {
      throw new BundleException(file, "not a weights file (bad magic)");
    }
    int version = buf.getInt();
    if (version != VERSION) {
      throw new BundleException(file, "unsupported weights format version " + version);
    }
    int count = buf.getInt();
    if (count < 0) {
      throw new BundleException(file, "negative tensor count " + count);
    }
    Map<String, Tensor> out = new LinkedHashMap<>();
    for (int t = 0; t < count; t++) {
      String where = "tensor #" + t;
      int nameLength = readInt(file, buf, where + " name length");
      if (nameLength < 1 || nameLength > MAX_NAME_BYTES || nameLength > buf.remaining()) {
        throw new BundleException(file, where + ": name length " + nameLength + " (at most " + MAX_NAME_BYTES + ", and " + buf.remaining() + " bytes remain)");
      }
      byte[] nameBytes = new byte[nameLength];
      buf.get(nameBytes);
      String name = new String(nameBytes, StandardCharsets.UTF_8);
      where = "tensor " + name;
      int rank = readInt(file, buf, where + " rank");
      if (rank < 0 || rank > MAX_RANK || 8L * rank > buf.remaining()) {
        throw new BundleException(file, where + ": rank " + rank + " (at most " + MAX_RANK + ", and " + buf.remaining() + " bytes remain)");
      }
      long[] shape = new long[rank];
      long size = 1;
      for (int d = 0; d < rank; d++) {
        shape[d] = buf.getLong();
        if (shape[d] < 0) {
          throw new BundleException(file, where + ": negative dimension " + shape[d]);
        }
        try {
          size = Math.multiplyExact(size, shape[d]);
        } catch (ArithmeticException e) {
          throw new BundleException(file, where + ": the dimensions " + Arrays.toString(shape) + " overflow a 64-bit size");
        }
      }
      if (size > buf.remaining() / 4) {
        throw new BundleException(
            file, "truncated: " + where + " " + Arrays.toString(shape) + " needs " + size + " floats, " + buf.remaining() + " bytes remain");
      }
      if (out.containsKey(name)) {
        throw new BundleException(file, "duplicate " + where);
      }
      float[] data = new float[(int) size];
      buf.asFloatBuffer().get(data);
      buf.position(buf.position() + 4 * data.length);
      out.put(name, new Tensor(shape, data));
    }
    if (buf.hasRemaining()) {
      throw new BundleException(file, buf.remaining() + " trailing bytes after the last tensor");
    }
    return out;
  }

  private static int readInt(Path file, ByteBuffer buf, String what) {
    if (buf.remaining() < 4) {
      throw new BundleException(file, "truncated: no room for the " + what);
    }
    return buf.getInt();
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
