# Images for running the system on real infrastructure (docker-compose.yml, helm/).
#   docker build --target flink  -t recsys/flink:0.1.0 .    the Flink image with the job and DJL in lib/
#   docker build --target recsys -t recsys/recsys:0.1.0 .   the CLI: trainer, model registry, topics, replay, tail, dlq
# Both are built from this source tree in one build stage, tests skipped (CI runs them).

ARG FLINK_IMAGE=flink:2.2.1-scala_2.12-java17

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests -Pdist package

# The CLI. Runs as root so that it can write the registry volume it shares with the Flink pods.
FROM eclipse-temurin:17-jre AS recsys
COPY --from=build /src/app/target/lib/ /opt/recsys/lib/
COPY --from=build /src/app/target/recsys-app-*.jar /opt/recsys/lib/
COPY docker/recsys /opt/recsys/bin/recsys
ENV PATH=/opt/recsys/bin:$PATH \
    DJL_OFFLINE=true \
    DJL_CACHE_DIR=/var/cache/recsys/djl \
    RECSYS_REGISTRY=/registry \
    RECSYS_JAVA_OPTS=-Xmx4g
RUN chmod 755 /opt/recsys/bin/recsys && mkdir -p /registry /var/cache/recsys/djl /work
WORKDIR /work
ENTRYPOINT ["/opt/recsys/bin/recsys"]
CMD ["--help"]

# Flink with the job. DJL goes into lib/ (the parent class loader): its native libraries load once
# per JVM, and a child-first job class loader would try to load them a second time. The job jar
# (our code, the Kafka connector and clients) goes into usrlib/ for application mode.
FROM ${FLINK_IMAGE} AS flink
# the base image ends as USER flink and its entry point no longer drops privileges: set up as
# root, then hand back to flink
USER root
COPY --from=build /src/flink-job/target/flink-lib/ /opt/flink/lib/
COPY --from=build --chown=flink:flink /src/flink-job/target/recsys-flink-job-*-cluster.jar /opt/flink/usrlib/recsys-job.jar
# PyTorch's threads sleep between forward passes instead of spinning on cores the job needs
ENV DJL_OFFLINE=true \
    DJL_CACHE_DIR=/opt/flink/djl-cache \
    OMP_WAIT_POLICY=PASSIVE
# owned by flink so that fresh named volumes mounted here inherit a writable directory
RUN mkdir -p /opt/flink/djl-cache /checkpoints /registry \
 && chown flink:flink /opt/flink/djl-cache /checkpoints
USER flink
