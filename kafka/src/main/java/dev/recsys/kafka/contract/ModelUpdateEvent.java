package dev.recsys.kafka.contract;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A model version became current; {@code schemas/model-update-event.schema.json}. Keyed by name
 * on a compacted topic, so the latest record per name is the current version.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelUpdateEvent(
    String name, int version, String uri, String sha256, String modelType, long publishedAt, String action) {}
