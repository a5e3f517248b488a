# Images for running the system on real infrastructure (docker-compose.yml, helm/).
#   docker build --target flink  -t recsys/flink:0.1.0 .    the Flink image with the job and DJL in lib/
#   docker build --target recsys -t recsys/recsys:0.1.0 .   the CLI: trainer, model registry, topics, replay, tail, dlq
# Both are built from this source tree in one build stage, tests skipped (CI runs them).
#
# linux/amd64 only: the libtorch they carry (pytorch-native-cpu, classifier linux-x86_64) is x86-64.
# The Java build itself runs on the build host's platform; on arm64 hosts (Apple silicon, Graviton)
# the images build and run under emulation.

ARG FLINK_IMAGE=flink:2.2.1-scala_2.12-java17

FROM --platform=$BUILDPLATFORM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests -Pdist package

# The CLI, as uid/gid 9999 like Flink's user in the Flink image, so that both can share the
# registry volume (the chart's pods run with fsGroup 9999).
FROM --platform=linux/amd64 eclipse-temurin:17-jre AS recsys
RUN groupadd --system --gid 9999 recsys \
 && useradd --system --uid 9999 --gid recsys --home-dir /work --no-create-home recsys \
 && mkdir -p /registry /var/cache/recsys/djl /work \
 && chown recsys:recsys /registry /var/cache/recsys/djl /work
COPY --from=build /src/app/target/lib/ /opt/recsys/lib/
COPY --from=build /src/app/target/recsys-app-*.jar /opt/recsys/lib/
COPY docker/recsys /opt/recsys/bin/recsys
ENV PATH=/opt/recsys/bin:$PATH \
    DJL_OFFLINE=true \
    DJL_CACHE_DIR=/var/cache/recsys/djl \
    RECSYS_REGISTRY=/registry \
    RECSYS_JAVA_OPTS=-Xmx4g
RUN chmod 755 /opt/recsys/bin/recsys
USER recsys
# libtorch unpacked once, here, instead of at every start
RUN java -cp "/opt/recsys/lib/*" dev.recsys.model.DjlRuntime
WORKDIR /work
ENTRYPOINT ["/opt/recsys/bin/recsys"]
CMD ["--help"]

# Flink with the job. DJL goes into lib/ (the parent class loader): its native libraries load once
# per JVM, and a child-first job class loader would try to load them a second time. The job jar
# (our code, the Kafka connector and clients) goes into usrlib/ for application mode.
FROM --platform=linux/amd64 ${FLINK_IMAGE} AS flink
# the base image ends as USER flink (uid/gid 9999) and its entry point no longer drops privileges:
# set up as root, then hand back to flink
USER root
# the scorer's output layer runs on the Vector API (jdk.incubator.vector), which the base image's
# JRE leaves out (an incubator module is in no JRE image): the JDK of the same vendor, major
# version and distribution takes its place, and every JVM of the image adds the module
RUN rm -rf /opt/java/openjdk
COPY --from=eclipse-temurin:17-jdk-noble /opt/java/openjdk /opt/java/openjdk
ENV JDK_JAVA_OPTIONS=--add-modules=jdk.incubator.vector
RUN java --list-modules | grep -q '^jdk.incubator.vector@'
COPY --from=build /src/flink-job/target/flink-lib/ /opt/flink/lib/
COPY --from=build --chown=flink:flink /src/flink-job/target/recsys-flink-job-*-cluster.jar /opt/flink/usrlib/recsys-job.jar
# DJL never downloads (DJL_OFFLINE) and finds libtorch unpacked in DJL_CACHE_DIR. PyTorch's threads
# sleep between forward passes instead of spinning on cores the job needs.
ENV DJL_OFFLINE=true \
    DJL_CACHE_DIR=/opt/flink/djl-cache \
    OMP_WAIT_POLICY=PASSIVE
# owned by flink so that fresh named volumes mounted here inherit a writable directory
RUN mkdir -p /opt/flink/djl-cache /checkpoints /registry \
 && chown flink:flink /opt/flink/djl-cache /checkpoints /registry
USER flink
# libtorch unpacked once, here, from the pytorch-native-cpu jar in lib/: a task manager starts
# without unpacking it and without a writable cache volume
RUN java -cp "/opt/flink/lib/*:/opt/flink/usrlib/recsys-job.jar" dev.recsys.model.DjlRuntime
