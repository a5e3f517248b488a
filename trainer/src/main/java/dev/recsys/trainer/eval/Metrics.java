package dev.recsys.trainer.eval;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Mean metrics over the evaluated users; in report.json {@code {"ndcg@100":…, "recall@20":…,
 * "recall@50":…, "heldOutRecall@10":…, "heldOutRecall@20":…, "heldOutRecall@100":…, "users":…}}.
 * The heldOutRecall keys are required when a report is read back, so a report written before they
 * existed is refused rather than read as zeros.
 *
 * @param ndcg100 NDCG@100
 * @param recall20 Recall@20 (the paper's: hits / min(20, |held-out|))
 * @param recall50 Recall@50
 * @param heldOutRecall10 heldOutRecall@10: the share of the held-out items in the top 10 (hits /
 *     |held-out|), what the job's online HitRate@10 estimates; equals Recall@10 for users with at
 *     most 10 held-out items
 * @param heldOutRecall20 heldOutRecall@20
 * @param heldOutRecall100 heldOutRecall@100
 * @param users users scored (those with at least one held-out item)
 */
public record Metrics(
    @JsonProperty("ndcg@100") double ndcg100,
    @JsonProperty("recall@20") double recall20,
    @JsonProperty("recall@50") double recall50,
    @JsonProperty(value = "heldOutRecall@10", required = true) double heldOutRecall10,
    @JsonProperty(value = "heldOutRecall@20", required = true) double heldOutRecall20,
    @JsonProperty(value = "heldOutRecall@100", required = true) double heldOutRecall100,
    int users) {}
