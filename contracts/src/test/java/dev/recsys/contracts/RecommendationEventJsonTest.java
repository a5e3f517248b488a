package dev.recsys.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The field-by-field writer of {@link RecommendationEvent}, read back by a generic JSON parser. */
class RecommendationEventJsonTest {

  /** Numbers as the decimals written, not as doubles. */
  private static final ObjectMapper TREE = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  @Test
  void writesEveryFieldInTheDocumentedOrderWithExactScores() throws Exception {
    Random rnd = new Random(11);
    List<RecommendationEvent.Item> items = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      float score = switch (i % 4) {
        case 0 -> (float) rnd.nextGaussian() * 10;
        case 1 -> Float.intBitsToFloat(rnd.nextInt(0x7f000000)); // any finite positive magnitude
        case 2 -> -rnd.nextFloat() * 1e-30f;
        default -> rnd.nextInt(1000);
      };
      items.add(new RecommendationEvent.Item(1 + rnd.nextInt(200_000), score));
    }
    RecommendationEvent e = new RecommendationEvent(Long.MAX_VALUE, "ml-\"20m\"", 12, items, 1_260_759_144_000L, 1_800_000_000_123L, true,
        1_800_000_000_001L, -1, 9_876_543_210L);

    JsonNode n = TREE.readTree(JsonCodec.RECOMMENDATION.encode(e));

    List<String> names = new ArrayList<>();
    n.fieldNames().forEachRemaining(names::add);
    assertEquals(List.of("userId", "modelName", "modelVersion", "triggerTimestamp", "triggerPublishedAt", "triggerPartition",
        "triggerOffset", "emittedAt", "fallback", "items"), names);
    assertEquals(Long.MAX_VALUE, n.get("userId").longValue());
    assertEquals("ml-\"20m\"", n.get("modelName").textValue());
    assertEquals(12, n.get("modelVersion").intValue());
    assertEquals(1_260_759_144_000L, n.get("triggerTimestamp").longValue());
    assertEquals(1_800_000_000_001L, n.get("triggerPublishedAt").longValue());
    assertEquals(-1, n.get("triggerPartition").intValue());
    assertEquals(9_876_543_210L, n.get("triggerOffset").longValue());
    assertEquals(1_800_000_000_123L, n.get("emittedAt").longValue());
    assertThat(n.get("fallback").booleanValue()).isTrue();
    assertEquals(items.size(), n.get("items").size());
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = n.get("items").get(i);
      List<String> itemNames = new ArrayList<>();
      item.fieldNames().forEachRemaining(itemNames::add);
      assertEquals(List.of("movieId", "score"), itemNames);
      assertEquals(items.get(i).movieId(), item.get("movieId").longValue());
      BigDecimal written = item.get("score").decimalValue();
      // exact: the decimal reads back as the same float, and is no longer than a float needs
      assertEquals(items.get(i).score(), written.floatValue(), "item " + i + ": " + written);
      assertThat(written.stripTrailingZeros().precision()).isLessThanOrEqualTo(9);
    }
    assertEquals(e, JsonCodec.RECOMMENDATION.decode(JsonCodec.RECOMMENDATION.encode(e)));
  }

  @Test
  void writesMissingValuesAsNull() throws Exception {
    RecommendationEvent e = new RecommendationEvent(3, null, 1, null, 0, 0, false, 0, 0, 0);
    JsonNode n = TREE.readTree(JsonCodec.RECOMMENDATION.encode(e));
    assertThat(n.get("modelName").isNull()).isTrue();
    assertThat(n.get("items").isNull()).isTrue();
    assertEquals(10, n.size());
  }
}
