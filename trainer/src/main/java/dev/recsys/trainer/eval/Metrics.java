package dev.recsys.trainer.eval;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Mean metrics over the evaluated users; in report.json {@code {"ndcg@100":…, "recall@20":…,
 * "recall@50":…, "users":…}}.
 *
 * @param ndcg100 NDCG@100
 * @param recall20 Recall@20
 * @param recall50 Recall@50
 * @param users users scored (those with at least one held-out item)
 */
public record Metrics(
    @JsonProperty("ndcg@100") double ndcg100,
    @JsonProperty("recall@20") double recall20,
    @JsonProperty("recall@50") double recall50,
    int users) {}
