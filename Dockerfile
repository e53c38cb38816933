# syntax=docker/dockerfile:1
# nodedns container image: node-cache's flags as arguments, e.g. the DaemonSet's
#   -localip 169.254.20.10,10.96.0.10 -conf /etc/Corefile -upstreamsvc kube-dns-upstream
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t REGISTRY/nodedns:0.1.0 --push .
#
# .ci/deploy-checks proves the runtime stage without a Docker engine: it runs jlink with the same
# jlink.args, the same class archive training, and starts the jar on that runtime with the archive,
# jvm.options, MALLOC_ARENA_MAX and the DaemonSet's args.

# 1. The jar. Java bytecode is the same on every architecture and the shaded jar carries Netty's
#    native epoll for x86_64 and aarch64, so it is built once, on the builder's own platform.
FROM --platform=$BUILDPLATFORM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY src ./src
RUN --mount=type=cache,target=/root/.m2 mvn -B -q -DskipTests package

# 2. A Java runtime of only the modules nodedns needs, for the target architecture (this stage runs
#    on the target platform: under emulation when cross-building).
FROM eclipse-temurin:17-jdk AS runtime
ARG TARGETARCH
COPY src/main/image/jlink.args /tmp/jlink.args
COPY --from=build /src/target/nodedns.jar /tmp/nodedns.jar
# Refuse an architecture the jar has no native epoll for (Netty would fall back to NIO silently).
# jlink.args also generates the runtime's class archives; the one for heaps above 32 GiB (no
# compressed pointers) is removed, as jvm.options' heap never needs it.
RUN case "$TARGETARCH" in \
      amd64) native=x86_64 ;; \
      arm64) native=aarch_64 ;; \
      *) echo "unsupported TARGETARCH '$TARGETARCH': nodedns ships native epoll for amd64 and arm64 only" >&2; exit 1 ;; \
    esac \
 && jar tf /tmp/nodedns.jar | grep -q "libnetty_transport_native_epoll_${native}.so" \
 && jlink @/tmp/jlink.args --output /opt/jre \
 && rm /opt/jre/lib/server/classes_nocoops.jsa \
 && /opt/jre/bin/java --list-modules

# 3. What runs on the node: Debian with the ip and iptables commands node networking runs
#    (iptables brings both backends, nft and legacy; nodedns uses the one kube-proxy uses).
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables iproute2 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=runtime /opt/jre /opt/jre
COPY --from=build /src/target/nodedns.jar /opt/nodedns/nodedns.jar
COPY src/main/image/jvm.options /opt/nodedns/jvm.options
ENV JAVA_HOME=/opt/jre
# glibc gives each thread that mallocs its own arena (up to 8 per CPU) and keeps what was freed in
# each; two are enough for a JVM whose hot paths do not malloc (benchmarks/RESULTS.md, "Memory and
# start time (issue 9)").
ENV MALLOC_ARENA_MAX=2
# The class archive: one training run (src/main/image/cds-training.sh: node mode as the DaemonSet
# runs it, queries over UDP and TCP, scrapes, SIGTERM) writes the classes nodedns loaded, parsed
# and verified, on top of the runtime's own archive (jlink.args: --generate-cds-archive). From it
# the first answer comes 0.5-0.9 s after the start instead of 1.7-1.8 s on one CPU, with less
# memory (benchmarks/RESULTS.md). It is made here, with the jar at the path it runs from, because
# the JVM refuses an archive whose jar path, size or time differ (it logs "Unable to use shared
# archive" and starts without it, slower).
COPY src/main/image/cds-training.sh /tmp/cds-training.sh
RUN /tmp/cds-training.sh /opt/jre/bin/java /opt/nodedns/jvm.options /opt/nodedns/nodedns.jar 127.0.0.1 127.0.0.2 \
      -- -XX:ArchiveClassesAtExit=/opt/nodedns/nodedns.jsa \
 && rm /tmp/cds-training.sh
# JVM flags: jvm.options and the archive (measured in benchmarks/RESULTS.md). To change one
# without rebuilding, set env _JAVA_OPTIONS in the DaemonSet (it wins over the file's flags).
ENTRYPOINT ["/opt/jre/bin/java", "-XX:SharedArchiveFile=/opt/nodedns/nodedns.jsa", "@/opt/nodedns/jvm.options", "-jar", "/opt/nodedns/nodedns.jar"]
