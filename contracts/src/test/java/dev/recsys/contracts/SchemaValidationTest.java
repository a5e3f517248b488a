package dev.recsys.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchemaValidationTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void acceptsValidRatings() {
    RatingEvent e = JsonCodec.RATING.decode(b("{\"userId\":7,\"movieId\":318,\"rating\":4.5,\"timestamp\":1260759144000}"));
    assertEquals(new RatingEvent(7, 318, 4.5, 1260759144000L), e);
    // unknown fields are tolerated, so producers can evolve
    assertEquals(0.5, JsonCodec.RATING.decode(b("{\"userId\":1,\"movieId\":1,\"rating\":0.5,\"timestamp\":0,\"x\":1}")).rating());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"userId\":7,\"movieId\":318,\"rating\":5.5,\"timestamp\":1} | rating",
        "{\"userId\":7,\"movieId\":318,\"rating\":0,\"timestamp\":1} | rating",
        "{\"userId\":7,\"movieId\":318,\"rating\":3.7,\"timestamp\":1} | multiple",
        "{\"userId\":7,\"movieId\":318,\"timestamp\":1} | rating",
        "{\"userId\":\"seven\",\"movieId\":318,\"rating\":4,\"timestamp\":1} | userId",
        "{\"userId\":-3,\"movieId\":318,\"rating\":4,\"timestamp\":1} | userId",
        "{\"userId\":7,\"movieId\":318,\"rating\":4,\"timestamp\":1 | not JSON",
        "[1,2,3] | object",
      })
  void rejectsInvalidRatingsWithAReason(String json, String reasonMentions) {
    InvalidMessageException e = assertThrows(InvalidMessageException.class, () -> JsonCodec.RATING.decode(b(json)));
    assertThat(e.getMessage()).containsIgnoringCase(reasonMentions.trim());
  }

  @Test
  void rejectsEmptyPayload() {
    assertThrows(InvalidMessageException.class, () -> JsonCodec.RATING.decode(new byte[0]));
  }

  @Test
  void everyContractRoundTripsThroughItsSchema() {
    RecommendationEvent rec =
        new RecommendationEvent(
            7, "ml", 3, List.of(new RecommendationEvent.Item(318, 2.5f), new RecommendationEvent.Item(50, 1.25f)), 10, 20, false, 15, 2, 41);
    assertEquals(rec, JsonCodec.RECOMMENDATION.decode(JsonCodec.RECOMMENDATION.encode(rec)));
    ModelUpdateEvent upd = new ModelUpdateEvent("ml", 2, "file:///r/ml/v2", "a".repeat(64), "vae", 5, "promote");
    assertEquals(upd, JsonCodec.MODEL_UPDATE.decode(JsonCodec.MODEL_UPDATE.encode(upd)));
    DeadLetterEvent dl = DeadLetterEvent.of("ratings", 2, 99, b("x".repeat(5000)), "not JSON", 3);
    assertEquals(DeadLetterEvent.MAX_PAYLOAD_CHARS, dl.payload().length());
    assertEquals(dl, JsonCodec.DEAD_LETTER.decode(JsonCodec.DEAD_LETTER.encode(dl)));
  }

  @Test
  void aDeadLetterStaysSmallWhateverItQuotes() {
    String huge = "\uD83D\uDE00".repeat(600_000); // 1.2 M chars of 4-byte UTF-8 (an emoji), in payload and error alike
    DeadLetterEvent dl = DeadLetterEvent.of("model-updates", 0, 1, b(huge), "refused model ml v1: bad uri " + huge, 3);
    // the prefix has an odd length, so the limit falls inside an emoji: it is cut before it
    assertEquals(DeadLetterEvent.MAX_ERROR_CHARS - 1, dl.error().length());
    assertEquals(DeadLetterEvent.MAX_PAYLOAD_CHARS, dl.payload().length());
    assertThat(JsonCodec.DEAD_LETTER.encode(dl).length).isLessThan(32 * 1024); // far below a producer's 1 MB request limit
    assertEquals(dl, JsonCodec.DEAD_LETTER.decode(JsonCodec.DEAD_LETTER.encode(dl)), "no surrogate pair split in half");
  }

  @Test
  void aUsersNewerListSupersedesRepeatsAndStaleOnesDoNot() {
    RecommendationEvent at41 = new RecommendationEvent(7, "ml", 3, List.of(), 10, 20, false, 15, 2, 41);
    RecommendationEvent at40 = new RecommendationEvent(7, "ml", 3, List.of(), 9, 19, false, 14, 2, 40);
    RecommendationEvent at42 = new RecommendationEvent(7, "ml", 3, List.of(), 11, 21, false, 16, 2, 42);
    assertThat(at41.supersedes(null)).isTrue();
    assertThat(at42.supersedes(at41)).isTrue();
    assertThat(at41.supersedes(at41)).as("a repeat").isFalse();
    assertThat(at40.supersedes(at41)).as("stale").isFalse();
  }

  @Test
  void rejectsInvalidModelUpdates() {
    ModelUpdateEvent badSha = new ModelUpdateEvent("ml", 2, "file:///r", "not-a-sha", "vae", 5, null);
    InvalidMessageException e =
        assertThrows(InvalidMessageException.class, () -> JsonCodec.MODEL_UPDATE.decode(JsonCodec.MODEL_UPDATE.encode(badSha)));
    assertThat(e.getMessage()).contains("sha256");
    ModelUpdateEvent badType = new ModelUpdateEvent("ml", 2, "file:///r", "b".repeat(64), "svd", 5, null);
    e = assertThrows(InvalidMessageException.class, () -> JsonCodec.MODEL_UPDATE.decode(JsonCodec.MODEL_UPDATE.encode(badType)));
    assertThat(e.getMessage()).contains("modelType");
  }

  @Test
  void rejectsRecommendationWithoutVersion() {
    InvalidMessageException e =
        assertThrows(
            InvalidMessageException.class,
            () -> JsonCodec.RECOMMENDATION.decode(b("{\"userId\":1,\"modelName\":\"ml\",\"items\":[],\"triggerTimestamp\":1,\"emittedAt\":2,\"fallback\":false}")));
    assertThat(e.getMessage()).contains("modelVersion");
  }

  @Test
  void codecSurvivesJavaSerialization() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(JsonCodec.RATING);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(JsonCodec.RATING, in.readObject());
    }
  }
}
