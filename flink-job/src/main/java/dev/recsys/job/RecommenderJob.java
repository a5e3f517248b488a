package dev.recsys.job;

import dev.recsys.contracts.DeadLetterEvent;
import dev.recsys.contracts.ModelMetricsEvent;
import dev.recsys.contracts.ModelUpdateEvent;
import dev.recsys.contracts.RecommendationEvent;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/**
 * The job's topology, with its sources and sinks as parameters so tests and the local run can plug
 * in their own:
 *
 * <pre>
 * ratings ──parse/validate──┬─ keyBy(userId) ─┐
 *                           │                 ├─ RecommendOperator ─▶ recommendations
 * model-updates ──verify────┼─ broadcast ─────┘          │  └─ observations ─ keyBy(version) ─ OnlineMetrics ─▶ model metrics
 *                           └─────────────┬──────────────┘
 *                                         └─▶ dead letters (bad input, refused models)
 * </pre>
 */
public final class RecommenderJob {

  /** Operator uids: stable names so savepoints survive topology edits. */
  public static final String UID_PARSE = "parse-ratings";
  public static final String UID_MODEL_PARSE = "verify-model-updates";
  public static final String UID_RECOMMEND = "recommend";
  public static final String UID_ONLINE_METRICS = "online-metrics";

  private RecommenderJob() {}

  /**
   * Wires the job.
   *
   * @param ratings raw rating records
   * @param modelUpdates raw model announcements
   * @param recommendations where recommendations go
   * @param modelMetrics where the online quality per model version goes
   * @param deadLetters where unusable input and model refusals go
   */
  public static void build(
      JobConfig config,
      DataStream<RawRecord> ratings,
      DataStream<RawRecord> modelUpdates,
      Sink<RecommendationEvent> recommendations,
      Sink<ModelMetricsEvent> modelMetrics,
      Sink<DeadLetterEvent> deadLetters) {
    // parsing runs at its source's parallelism, chained to it: a rebalance in between would let one
    // user's ratings overtake each other on their way to keyBy
    SingleOutputStreamOperator<Rating> parsed =
        ratings.process(new ParseRatings(config.get(JobConfig.MAX_FUTURE))).name("parse ratings").uid(UID_PARSE).setParallelism(ratings.getParallelism());

    SingleOutputStreamOperator<ModelUpdateEvent> updates =
        modelUpdates.process(new VerifyModelUpdates(config)).returns(TypeInformation.of(ModelUpdateEvent.class))
            .name("verify model updates").uid(UID_MODEL_PARSE)
            .setParallelism(1); // model-updates has one partition; ServedModel does not rely on this
    // a plain broadcast (no descriptor): RecommendOperator keeps its own broadcast state
    DataStream<ModelUpdateEvent> broadcast = updates.broadcast();

    SingleOutputStreamOperator<RecommendationEvent> recs =
        parsed.keyBy(Rating::userId)
            .connect(broadcast)
            .transform("score users in micro-batches", TypeInformation.of(RecommendationEvent.class), new RecommendOperator(config))
            .uid(UID_RECOMMEND);

    recs.sinkTo(recommendations).name("recommendations sink").uid("recommendations-sink");
    recs.getSideOutput(OnlineMetrics.OBSERVATIONS)
        .keyBy(Observation::key)
        .process(new OnlineMetrics(config.get(JobConfig.METRICS_WINDOW))).returns(TypeInformation.of(ModelMetricsEvent.class))
        .name("online metrics per model version").uid(UID_ONLINE_METRICS)
        .sinkTo(modelMetrics).name("model-metrics sink").uid("model-metrics-sink");
    parsed.getSideOutput(DeadLetters.TAG)
        .union(updates.getSideOutput(DeadLetters.TAG), recs.getSideOutput(DeadLetters.TAG))
        .sinkTo(deadLetters).name("dead-letter sink").uid("dead-letter-sink");
  }
}
