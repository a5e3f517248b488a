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
 * <p>Layout: a byte, {@link #HALF_STARS} or {@link #FLOATS}; varint count; per rating ZigZag
 * movieId, ZigZag time step, rating; varint count of exclusions; per exclusion ZigZag step from the
 * previous one. It is written straight to the backend's output, with no buffer of its own.
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
    boolean halfStars = true;
    for (float r : h.ratings) {
      halfStars &= r >= 0 && r <= 127 && r * 2 == Math.rint(r * 2);
    }
    out.writeByte(halfStars ? HALF_STARS : FLOATS);
    Varints.write(out, h.movieIds.length);
    long previous = 0;
    for (int i = 0; i < h.movieIds.length; i++) {
      Varints.write(out, Varints.zigzag(h.movieIds[i]));
      Varints.write(out, Varints.zigzag(h.timestamps[i] - previous));
      previous = h.timestamps[i];
      if (halfStars) {
        out.writeByte((int) (h.ratings[i] * 2));
      } else {
        out.writeFloat(h.ratings[i]);
      }
    }
    Varints.write(out, h.excluded.length);
    previous = 0;
    for (long m : h.excluded) {
      Varints.write(out, Varints.zigzag(m - previous));
      previous = m;
    }
  }

  @Override
  public UserHistory deserialize(DataInputView in) throws IOException {
    boolean halfStars = in.readByte() == HALF_STARS;
    int n = (int) Varints.read(in);
    UserHistory h = new UserHistory();
    h.movieIds = new long[n];
    h.timestamps = new long[n];
    h.ratings = new float[n];
    long previous = 0;
    for (int i = 0; i < n; i++) {
      h.movieIds[i] = Varints.unzigzag(Varints.read(in));
      previous += Varints.unzigzag(Varints.read(in));
      h.timestamps[i] = previous;
      h.ratings[i] = halfStars ? in.readUnsignedByte() / 2f : in.readFloat();
    }
    h.excluded = new long[(int) Varints.read(in)];
    previous = 0;
    for (int i = 0; i < h.excluded.length; i++) {
      previous += Varints.unzigzag(Varints.read(in));
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
    serialize(deserialize(in), out); // the form has no length prefix to copy the bytes by
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
