package dev.recsys.job;

/**
 * What the recommend step reports to {@link OnlineMetrics}: where a positively rated new movie stood
 * in a version's last list for that user, or what one batch's scoring cost a version. A Flink POJO.
 */
public class Observation {
  public String model;
  /** {@code version} or {@code comparison} (the contract's kinds). */
  public String kind;
  /** {@code live} or {@code shadow}. */
  public String role;
  public int version;
  /** Comparison only: the live version on the same event. */
  public int baselineVersion;
  /** 1-based rank of the rated movie in the version's last list, 0 when not in it; -1 for a cost. */
  public int rank;
  /** Comparison only: its rank in the live version's list. */
  public int baselineRank;
  public long scoredUsers;
  public long scoringNanos;

  public Observation() {}

  static Observation event(String model, String kind, String role, int version, int baselineVersion, int rank, int baselineRank) {
    Observation o = new Observation();
    o.model = model;
    o.kind = kind;
    o.role = role;
    o.version = version;
    o.baselineVersion = baselineVersion;
    o.rank = rank;
    o.baselineRank = baselineRank;
    return o;
  }

  static Observation cost(String model, String role, int version, long users, long nanos) {
    Observation o = event(model, dev.recsys.contracts.ModelMetricsEvent.VERSION, role, version, 0, -1, 0);
    o.scoredUsers = users;
    o.scoringNanos = nanos;
    return o;
  }

  boolean isCost() {
    return rank < 0;
  }

  /** What the metrics are kept per: one version in one role, or one shadow against one live version. */
  public String key() {
    return model + "|" + kind + "|" + role + "|" + version + "|" + baselineVersion;
  }
}
