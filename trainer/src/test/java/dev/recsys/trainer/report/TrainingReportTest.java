package dev.recsys.trainer.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recsys.model.ModelType;
import dev.recsys.trainer.eval.Metrics;
import dev.recsys.trainer.train.EpochStats;
import dev.recsys.trainer.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

public class TrainingReportTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A VAE run that split raw ratings itself and tuned EASE. */
  public static TrainingReport vaeReport(double testNdcg, String fingerprint) {
    TrainingReport.Baselines baselines =
        new TrainingReport.Baselines(
            TrainingReport.Baseline.untuned(new Metrics(0.1, 0.11, 0.12, 0.07, 0.1, 0.16, 40), new Metrics(0.13, 0.14, 0.15, 0.08, 0.13, 0.2, 40)),
            TrainingReport.Baseline.tuned(
                new Metrics(0.4, 0.41, 0.42, 0.3, 0.39, 0.5, 40), new Metrics(0.43, 0.44, 0.45, 0.31, 0.42, 0.55, 40), 100.0,
                List.of(new TrainingReport.LambdaScore(50.0, 0.42), new TrainingReport.LambdaScore(100.0, 0.43))));
    TrainingReport.DataSummary data =
        new TrainingReport.DataSummary("ratings.csv", 1000L, 2L, 600L, 90, 80, 10, 7L, 150, 60, 480, 10, 10, fingerprint);
    return new TrainingReport(
        "vae", new Metrics(testNdcg, 0.31, 0.32, 0.21, 0.29, 0.45, 40), new Metrics(0.33, 0.34, 0.35, 0.22, 0.32, 0.47, 40), 2, 2, baselines, data,
        new TrainingReport.Timings(1.5, 20.0, 9.5, 3.0, "cpu()"), TrainConfig.builder(ModelType.VAE).epochs(2).build().hyperparameters(),
        "out/bundle", List.of(new EpochStats(1, 9, 8.5, 5, 0.01, 0.3, 9), new EpochStats(2, 8, 7.5, 5, 0.02, 0.33, 10)),
        "2026-01-01T00:00:00Z");
  }

  @Test
  void reportJsonHasTheContractsKeysAndReadsBack() throws Exception {
    String json = JSON.writeValueAsString(vaeReport(0.3, "abc"));
    JsonNode r = JSON.readTree(json);
    assertEquals(
        List.of("model", "test", "validation", "bestEpoch", "epochs", "baselines", "data", "timings", "config", "bundle",
            "history", "createdAt"),
        names(r));
    assertEquals(List.of("ndcg@100", "recall@20", "recall@50", "heldOutRecall@10", "heldOutRecall@20", "heldOutRecall@100", "users"),
        names(r.get("test")));
    assertEquals(0.29, r.get("test").get("heldOutRecall@20").asDouble());
    assertEquals(0.3, r.get("test").get("ndcg@100").asDouble());
    JsonNode ease = r.get("baselines").get("ease");
    assertEquals(List.of("ndcg@100", "recall@20", "recall@50", "heldOutRecall@10", "heldOutRecall@20", "heldOutRecall@100", "users",
        "validation", "lambda", "lambdaGrid"), names(ease));
    assertEquals(100.0, ease.get("lambda").asDouble());
    assertEquals(0.42, ease.get("lambdaGrid").get(0).get("validation.ndcg@100").asDouble());
    assertEquals(List.of("ndcg@100", "recall@20", "recall@50", "heldOutRecall@10", "heldOutRecall@20", "heldOutRecall@100", "users",
        "validation"), names(r.get("baselines").get("popularity")));
    assertEquals(1000, r.get("data").get("ratings").asLong());
    assertEquals(7, r.get("data").get("splitSeed").asLong());
    assertEquals(
        List.of("model", "hidden", "latent", "epochs", "batchSize", "learningRate", "inputDropout", "annealCap",
            "totalAnnealSteps", "seed"),
        names(r.get("config")));
    assertEquals(600, r.get("config").get("hidden").get(0).asInt());
    assertEquals(2, r.get("history").size());
    // what summarize reads is what was written
    assertEquals(json, JSON.writeValueAsString(JSON.readValue(json, TrainingReport.class)));
  }

  @Test
  void aReportFromBeforeHeldOutRecallIsRefusedNotReadAsZeros() throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode r = JSON.valueToTree(vaeReport(0.3, "abc"));
    ((com.fasterxml.jackson.databind.node.ObjectNode) r.get("test")).remove("heldOutRecall@20");
    assertThatThrownBy(() -> JSON.treeToValue(r, TrainingReport.class))
        .isInstanceOf(com.fasterxml.jackson.databind.exc.MismatchedInputException.class)
        .hasMessageContaining("heldOutRecall@20");
  }

  @Test
  void absentSectionsAreLeftOut() {
    TrainingReport.DataSummary data =
        new TrainingReport.DataSummary("split", null, null, null, null, null, null, null, 150, 60, 480, 10, 10, "abc");
    JsonNode d = JSON.valueToTree(data);
    assertEquals(List.of("source", "items", "trainUsers", "trainInteractions", "validationUsers", "testUsers", "fingerprint"), names(d));
    JsonNode dae = JSON.valueToTree(TrainConfig.paper(ModelType.DAE).hyperparameters());
    assertEquals(0.01 / 500, dae.get("l2").asDouble());
    assertFalse(dae.has("annealCap"));
    JsonNode baselines =
        JSON.valueToTree(new TrainingReport.Baselines(
            TrainingReport.Baseline.untuned(new Metrics(0.1, 0.2, 0.3, 0.1, 0.2, 0.4, 4), new Metrics(0.1, 0.2, 0.3, 0.1, 0.2, 0.4, 4)), null));
    assertEquals(List.of("popularity"), names(baselines));
  }

  @Test
  void markdownRendersTheRecord() {
    String md = vaeReport(0.3, "abc").markdown();
    assertThat(md)
        .startsWith("# Training report: Mult-VAE\n")
        .contains("| model | NDCG@100 | Recall@20 | Recall@50 | heldOutRecall@10 | heldOutRecall@20 | heldOutRecall@100 |\n")
        .contains("| Mult-VAE (best epoch 2) | 0.3000 | 0.3100 | 0.3200 | 0.2100 | 0.2900 | 0.4500 |\n")
        .contains("| popularity | 0.1000 | 0.1100 | 0.1200 | 0.0700 | 0.1000 | 0.1600 |\n")
        .contains("| EASE (λ=100.0) | 0.4000 | 0.4100 | 0.4200 | 0.3000 | 0.3900 | 0.5000 |\n")
        .contains("Test users scored: 40.")
        .contains("- ratings: 1000\n- badRowsSkipped: 2\n")
        .contains("- device: cpu()\n")
        .contains("- hidden: [600]\n")
        .contains("- annealCap: 0.2\n- totalAnnealSteps: 200000\n");
  }

  private static List<String> names(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }
}
