package dev.recsys.job;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** An in-memory sink for pipeline tests: records land in a list this JVM can read back. */
final class CollectingSink<T> implements Sink<T> {

  private static final Map<String, List<Object>> RECEIVED = new ConcurrentHashMap<>();

  private final String id = UUID.randomUUID().toString();

  CollectingSink() {
    RECEIVED.put(id, new CopyOnWriteArrayList<>());
  }

  @SuppressWarnings("unchecked")
  List<T> received() {
    return (List<T>) (List<?>) List.copyOf(RECEIVED.get(id));
  }

  @Override
  public SinkWriter<T> createWriter(WriterInitContext context) {
    List<Object> into = RECEIVED.get(id);
    return new SinkWriter<>() {
      @Override
      public void write(T element, Context ctx) {
        into.add(element);
      }

      @Override
      public void flush(boolean endOfInput) {}

      @Override
      public void close() {}
    };
  }
}
