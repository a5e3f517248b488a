package dev.recsys.model.bundle;

import dev.recsys.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    ByteBuffer buf;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      if (buf.getInt() != MAGIC) {
        throw new BundleException(file, "not a weights file (bad magic)");
      }
      int version = buf.getInt();
      if (version != VERSION) {
        throw new BundleException(file, "unsupported weights format version " + version);
      }
      int count = buf.getInt();
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (int t = 0; t < count; t++) {
        byte[] name = new byte[buf.getInt()];
        buf.get(name);
        long[] shape = new long[buf.getInt()];
        long size = 1;
        for (int d = 0; d < shape.length; d++) {
          shape[d] = buf.getLong();
          size *= shape[d];
        }
        if (size < 0 || size * 4 > buf.remaining()) {
          throw new BundleException(file, "truncated: tensor " + new String(name, StandardCharsets.UTF_8));
        }
        float[] data = new float[(int) size];
        FloatBuffer fb = buf.asFloatBuffer();
        fb.get(data);
        buf.position(buf.position() + 4 * data.length);
        out.put(new String(name, StandardCharsets.UTF_8), new Tensor(shape, data));
      }
      if (buf.hasRemaining()) {
        throw new BundleException(file, buf.remaining() + " trailing bytes after the last tensor");
      }
      return out;
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw new BundleException(file, "truncated or corrupt weights file", e);
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
