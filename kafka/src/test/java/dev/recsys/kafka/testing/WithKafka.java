package dev.recsys.kafka.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class its own Kafka ({@link KafkaFixture}), started once before its tests and
 * stopped after them; test methods and constructors receive it as a {@link KafkaCluster}
 * parameter.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(WithKafka.Extension.class)
public @interface WithKafka {

  /** The JUnit extension behind {@link WithKafka}. */
  final class Extension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(WithKafka.class);

    @Override
    public void beforeAll(ExtensionContext ctx) {
      cluster(ctx);
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext ctx) {
      return p.getParameter().getType() == KafkaCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext ctx) {
      return cluster(ctx);
    }

    private static KafkaCluster cluster(ExtensionContext ctx) {
      ExtensionContext classCtx = ctx;
      while (classCtx.getTestMethod().isPresent() && classCtx.getParent().isPresent()) {
        classCtx = classCtx.getParent().get();
      }
      return classCtx
          .getStore(NS)
          .getOrComputeIfAbsent("cluster", k -> new Closing(KafkaFixture.start()), Closing.class)
          .cluster();
    }

    /** Stops the cluster when JUnit closes the class's store. */
    private record Closing(KafkaCluster cluster) implements ExtensionContext.Store.CloseableResource, AutoCloseable {
      @Override
      public void close() {
        cluster.close();
      }
    }
  }
}
