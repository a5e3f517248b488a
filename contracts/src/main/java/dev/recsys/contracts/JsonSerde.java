package dev.recsys.contracts;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka (de)serializers over a {@link JsonCodec}. The deserializer throws on invalid messages. */
public final class JsonSerde {

  private JsonSerde() {}

  public static <T> Serializer<T> serializer(JsonCodec<T> codec) {
    return (topic, value) -> value == null ? null : codec.encode(value);
  }

  public static <T> Deserializer<T> deserializer(JsonCodec<T> codec) {
    return (topic, bytes) -> bytes == null ? null : codec.decode(bytes);
  }
}
