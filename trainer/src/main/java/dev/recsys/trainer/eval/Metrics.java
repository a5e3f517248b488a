package dev.recsys.trainer.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Mean metrics over the evaluated users.
 *
 * @param ndcg100 NDCG@100
 * @param recall20 Recall@20
 * @param recall50 Recall@50
 * @param users users scored (those with at least one held-out item)
 */
public record Metrics(double ndcg100, double recall20, double recall50, int users) {

  /** The report.json form: {@code {"ndcg@100":…, "recall@20":…, "recall@50":…, "users":…}}. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ndcg@100", ndcg100);
    m.put("recall@20", recall20);
    m.put("recall@50", recall50);
    m.put("users", users);
    return m;
  }
}
