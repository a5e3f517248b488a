package dev.recsys.job;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * How a {@link UserHistory} is kept in RocksDB. Every rating rewrites the user's whole history, so
 * its size is what the memtables fill with and what each checkpoint's synchronous flush writes on
 * the task thread. Flink's POJO form takes 28 bytes a rating and 8 an exclusion; this one takes
 * varints: the movieId, the time since the previous rating, the rating as half-stars in one byte
 * (four-byte floats for a history with any other value), and the sorted exclusions as gaps. An
 * ML-20M user comes to about a quarter of the POJO's bytes.
 *
 * <p>Layout: varint length of the rest; a byte, {@link #HALF_STARS} or {@link #FLOATS}; varint
 * count; per rating ZigZag movieId, ZigZag time step, rating; varint count of exclusions; per
 * exclusion ZigZag step from the previous one.
 *
 * <p>State written before, with the POJO serializer, is compatible after migration: on restore the
 * backend reads each history with the old serializer and writes it back with this one.
 */
public final class UserHistorySerializer extends TypeSerializerSingleton<UserHistory> {

  public static final UserHistorySerializer INSTANCE = new UserHistorySerializer();

  private static final byte HALF_STARS = 0;
  private static final byte FLOATS = 1;

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public UserHistory createInstance() {
    return new UserHistory();
  }

  @Override
  public UserHistory copy(UserHistory from) {
    UserHistory h = new UserHistory();
    h.movieIds = from.movieIds.clone();
    h.ratings = from.ratings.clone();
    h.timestamps = from.timestamps.clone();
    h.excluded = from.excluded.clone();
    return h;
  }

  @Override
  public UserHistory copy(UserHistory from, UserHistory reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public void serialize(UserHistory h, DataOutputView out) throws IOException {
    int n = h.movieIds.length;
    boolean halfStars = true;
    for (float r : h.ratings) {
      halfStars &= r >= 0 && r <= 127 && r * 2 == Math.rint(r * 2);
    }
    byte[] buf = new byte[1 + Varints.MAX_BYTES * (2 + 2 * n + h.excluded.length) + 4 * n];
    int at = 0;
    buf[at++] = halfStars ? HALF_STARS : FLOATS;
    at = Varints.put(buf, at, n);
    long previous = 0;
    for (int i = 0; i < n; i++) {
      at = Varints.put(buf, at, Varints.zigzag(h.movieIds[i]));
      at = Varints.put(buf, at, Varints.zigzag(h.timestamps[i] - previous));
      previous = h.timestamps[i];
      if (halfStars) {
        buf[at++] = (byte) (h.ratings[i] * 2);
      } else {
        int bits = Float.floatToIntBits(h.ratings[i]);
        for (int s = 24; s >= 0; s -= 8) {
          buf[at++] = (byte) (bits >>> s);
        }
      }
    }
    at = Varints.put(buf, at, h.excluded.length);
    previous = 0;
    for (long m : h.excluded) {
      at = Varints.put(buf, at, Varints.zigzag(m - previous));
      previous = m;
    }
    writeLength(out, at);
    out.write(buf, 0, at);
  }

  @Override
  public UserHistory deserialize(DataInputView in) throws IOException {
    byte[] buf = new byte[readLength(in)];
    in.readFully(buf);
    Varints.Reader r = new Varints.Reader(buf);
    boolean halfStars = r.nextByte() == HALF_STARS;
    int n = (int) r.next();
    UserHistory h = new UserHistory();
    h.movieIds = new long[n];
    h.timestamps = new long[n];
    h.ratings = new float[n];
    long previous = 0;
    for (int i = 0; i < n; i++) {
      h.movieIds[i] = Varints.unzigzag(r.next());
      previous += Varints.unzigzag(r.next());
      h.timestamps[i] = previous;
      if (halfStars) {
        h.ratings[i] = (r.nextByte() & 0xff) / 2f;
      } else {
        int bits = 0;
        for (int s = 0; s < 4; s++) {
          bits = bits << 8 | (r.nextByte() & 0xff);
        }
        h.ratings[i] = Float.intBitsToFloat(bits);
      }
    }
    h.excluded = new long[(int) r.next()];
    previous = 0;
    for (int i = 0; i < h.excluded.length; i++) {
      previous += Varints.unzigzag(r.next());
      h.excluded[i] = previous;
    }
    return h;
  }

  @Override
  public UserHistory deserialize(UserHistory reuse, DataInputView in) throws IOException {
    return deserialize(in);
  }

  @Override
  public void copy(DataInputView in, DataOutputView out) throws IOException {
    byte[] buf = new byte[readLength(in)];
    in.readFully(buf);
    writeLength(out, buf.length);
    out.write(buf); // not write(in, n): Flink's DataOutputSerializer does not grow for that one
  }

  private static void writeLength(DataOutputView out, int length) throws IOException {
    byte[] b = new byte[5];
    out.write(b, 0, Varints.put(b, 0, length));
  }

  private static int readLength(DataInputView in) throws IOException {
    int v = 0;
    int shift = 0;
    byte b;
    do {
      b = in.readByte();
      v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b < 0);
    return v;
  }

  @Override
  public TypeSerializerSnapshot<UserHistory> snapshotConfiguration() {
    return new Snapshot();
  }

  /** The serializer's snapshot: compatible as is with itself, after migration with the POJO form. */
  public static final class Snapshot extends SimpleTypeSerializerSnapshot<UserHistory> {
    public Snapshot() {
      super(() -> INSTANCE);
    }

    @Override
    public TypeSerializerSchemaCompatibility<UserHistory> resolveSchemaCompatibility(TypeSerializerSnapshot<UserHistory> old) {
      if (old instanceof PojoSerializerSnapshot) {
        return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
      }
      return super.resolveSchemaCompatibility(old);
    }
  }
}
