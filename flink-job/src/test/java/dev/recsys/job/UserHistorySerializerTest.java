package dev.recsys.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class UserHistorySerializerTest {

  private static final TypeSerializer<UserHistory> POJO = TypeInformation.of(UserHistory.class).createSerializer(new SerializerConfigImpl());

  /** Histories built by the rules themselves: re-ratings, out-of-order events, the cap, odd ratings and ids. */
  private static UserHistory random(SplittableRandom rnd, int events, boolean halfStars) {
    UserHistory h = new UserHistory();
    long t = rnd.nextLong(-5_000_000_000_000L, 5_000_000_000_000L);
    for (int i = 0; i < events; i++) {
      t += rnd.nextInt(10) == 0 ? -rnd.nextLong(1_000_000) : rnd.nextLong(86_400_000L); // some arrive late
      long movie = rnd.nextInt(20) == 0 ? rnd.nextLong() : rnd.nextLong(1, 131_263);
      float rating = halfStars ? rnd.nextInt(1, 11) / 2f : (float) rnd.nextDouble(0, 5);
      h.apply(movie, rating, t, 50);
    }
    return h;
  }

  private static byte[] bytes(TypeSerializer<UserHistory> s, UserHistory h) throws Exception {
    DataOutputSerializer out = new DataOutputSerializer(64);
    s.serialize(h, out);
    return out.getCopyOfBuffer();
  }

  private static void assertSame(UserHistory expected, UserHistory actual) {
    assertArrayEquals(expected.movieIds, actual.movieIds);
    assertArrayEquals(expected.ratings, actual.ratings);
    assertArrayEquals(expected.timestamps, actual.timestamps);
    assertArrayEquals(expected.excluded, actual.excluded);
  }

  @Test
  void everyHistoryReadsBackAsItWasWhateverItsIdsTimesAndRatings() throws Exception {
    SplittableRandom rnd = new SplittableRandom(11);
    UserHistorySerializer s = UserHistorySerializer.INSTANCE;
    for (int i = 0; i < 500; i++) {
      UserHistory h = random(rnd, rnd.nextInt(0, 120), i % 2 == 0);
      byte[] b = bytes(s, h);
      DataInputDeserializer in = new DataInputDeserializer(b);
      assertSame(h, s.deserialize(in));
      assertEquals(0, in.available(), "reads exactly its own bytes");
      DataOutputSerializer copied = new DataOutputSerializer(64);
      s.copy(new DataInputDeserializer(b), copied);
      assertArrayEquals(b, copied.getCopyOfBuffer());
      assertSame(h, s.copy(h));
    }
    UserHistory legacy = new UserHistory(); // excluded shorter than the ratings: written before exclusions were kept apart
    legacy.movieIds = new long[] {5, 3};
    legacy.ratings = new float[] {4f, 1f};
    legacy.timestamps = new long[] {10, 20};
    assertSame(legacy, s.deserialize(new DataInputDeserializer(bytes(s, legacy))));
  }

  @Test
  void anMl20mUserTakesUnderAThirdOfThePojosBytes() throws Exception {
    SplittableRandom rnd = new SplittableRandom(7);
    UserHistory h = new UserHistory();
    long t = 1_100_000_000_000L;
    for (int i = 0; i < 144; i++) { // ML-20M's mean ratings per user; sessions of ratings seconds apart
      t += (i % 20 == 0 ? 86_400 + rnd.nextInt(1_000_000) : rnd.nextInt(5, 120)) * 1000L;
      h.apply(rnd.nextLong(1, 131_263), rnd.nextInt(1, 11) / 2f, t, 500);
    }
    int pojo = bytes(POJO, h).length;
    int packed = bytes(UserHistorySerializer.INSTANCE, h).length;
    assertThat(packed).as("packed %d vs POJO %d bytes", packed, pojo).isLessThan(pojo / 3);
    assertThat(packed).isLessThan(144 * 10);
  }

  @Test
  void historiesCheckpointedAsPojosMigrate() throws Exception {
    TypeSerializerSnapshot<UserHistory> written = POJO.snapshotConfiguration();
    assertTrue(UserHistorySerializer.INSTANCE.snapshotConfiguration().resolveSchemaCompatibility(written).isCompatibleAfterMigration());
    assertTrue(UserHistorySerializer.INSTANCE.snapshotConfiguration()
        .resolveSchemaCompatibility(UserHistorySerializer.INSTANCE.snapshotConfiguration()).isCompatibleAsIs());
    UserHistory h = random(new SplittableRandom(3), 40, true);
    UserHistory old = written.restoreSerializer().deserialize(new DataInputDeserializer(bytes(POJO, h)));
    assertSame(h, UserHistorySerializer.INSTANCE.deserialize(new DataInputDeserializer(bytes(UserHistorySerializer.INSTANCE, old))));
  }
}
