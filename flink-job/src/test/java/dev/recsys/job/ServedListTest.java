package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.array.LongPrimitiveArraySerializer;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class ServedListTest {

  /** The rank as a plain scan of the longs finds it. */
  private static int scan(long[] ids, long movieId) {
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] == movieId) {
        return i + 1;
      }
    }
    return 0;
  }

  @Test
  void ranksEveryMovieAsAScanOfTheLongsDoesWhateverItsSize() {
    SplittableRandom rnd = new SplittableRandom(7);
    long[] ids = new long[100];
    for (int i = 0; i < ids.length; i++) {
      // small, ML-sized, at the varint byte boundaries, huge and negative ids
      ids[i] = switch (i % 6) {
        case 0 -> rnd.nextLong(1, 128);
        case 1 -> rnd.nextLong(1, 200_000);
        case 2 -> (1L << (7 * rnd.nextInt(1, 9))) - rnd.nextInt(0, 2);
        case 3 -> Long.MAX_VALUE - rnd.nextInt(1000);
        case 4 -> -rnd.nextLong(1, Long.MAX_VALUE);
        default -> rnd.nextLong();
      };
    }
    ServedList list = new ServedList(3, 2, ids);
    for (long id : ids) {
      assertEquals(scan(ids, id), list.rank(id), "movie " + id);
    }
    for (int i = 0; i < 1000; i++) {
      long other = rnd.nextLong(1, 200_000);
      assertEquals(scan(ids, other), list.rank(other), "movie " + other);
    }
    assertEquals(0, new ServedList(1, 0, new long[0]).rank(5));
  }

  @Test
  void aListKeptAsLongsBeforeTheVarintsStillRanks() {
    ServedList old = new ServedList();
    old.version = 4;
    old.movieIds = new long[] {50, 7, 9000};
    assertEquals(2, old.rank(7));
    assertEquals(3, old.rank(9000));
    assertEquals(0, old.rank(8));
    assertEquals(0, new ServedList().rank(8), "neither field set: nothing was listed");
  }

  /**
   * A checkpoint written before the varints holds lists serialised with three fields. Flink's POJO
   * schema evolution must call that compatible after migration, and read such a list with the new
   * field null, which still ranks.
   */
  @Test
  void listsCheckpointedAsLongsMigrateAndStillRank() throws Exception {
    SerializerConfigImpl config = new SerializerConfigImpl();
    PojoSerializer<ServedList> before = new PojoSerializer<>(ServedList.class,
        new TypeSerializer<?>[] {IntSerializer.INSTANCE, IntSerializer.INSTANCE, LongPrimitiveArraySerializer.INSTANCE},
        new Field[] {ServedList.class.getField("version"), ServedList.class.getField("baselineVersion"), ServedList.class.getField("movieIds")},
        config);
    ServedList old = new ServedList();
    old.version = 5;
    old.movieIds = new long[] {318, 2571, 1};
    DataOutputSerializer out = new DataOutputSerializer(64);
    before.serialize(old, out);
    TypeSerializerSnapshot<ServedList> written = before.snapshotConfiguration();

    TypeSerializer<ServedList> now = TypeInformation.of(ServedList.class).createSerializer(config);
    assertTrue(now.snapshotConfiguration().resolveSchemaCompatibility(written).isCompatibleAfterMigration());
    ServedList restored = written.restoreSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    assertEquals(5, restored.version);
    assertEquals(null, restored.ranked);
    assertEquals(2, restored.rank(2571));
    DataOutputSerializer migrated = new DataOutputSerializer(64);
    now.serialize(restored, migrated); // what the backend writes back
    assertEquals(3, now.deserialize(new DataInputDeserializer(migrated.getCopyOfBuffer())).rank(1));
  }

  @Test
  void flinkKeepsItAsAPojoAtAboutThreeBytesAnMl20mMovie() throws Exception {
    TypeSerializer<ServedList> s = TypeInformation.of(ServedList.class).createSerializer(new SerializerConfigImpl());
    assertThat(s).isInstanceOf(PojoSerializer.class); // not Kryo: POJO schema evolution applies
    long[] ids = new SplittableRandom(3).longs(100, 1_000, 131_263).toArray(); // ML-20M's movieIds stay below 131,263
    DataOutputSerializer out = new DataOutputSerializer(1024);
    s.serialize(new ServedList(12, 11, ids), out);
    assertThat(out.length()).as("bytes per list").isLessThan(320); // 8 bytes a movie before: 845 in RocksDB's LOG
    ServedList back = s.deserialize(new DataInputDeserializer(out.getSharedBuffer(), 0, out.length()));
    assertEquals(12, back.version);
    assertEquals(11, back.baselineVersion);
    assertEquals(null, back.movieIds);
    long[] ranks = Arrays.stream(ids).map(back::rank).toArray();
    assertArrayEquals(java.util.stream.LongStream.rangeClosed(1, 100).toArray(), ranks);
  }
}
