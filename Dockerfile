# syntax=docker/dockerfile:1
# Tern MQTT broker image. Build:  docker build -t tern .
# Run:  docker run -p 1883:1883 -p 8083:8083 -p 8080:8080 -p 5683:5683/udp -v tern-data:/var/lib/tern tern

# ---- build: the Maven wrapper on a JDK ----
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY broker-core/pom.xml broker-core/
COPY protocol-mqtt/pom.xml protocol-mqtt/
COPY transport-tcp/pom.xml transport-tcp/
COPY transport-websocket/pom.xml transport-websocket/
COPY bridge-http/pom.xml bridge-http/
COPY bridge-coap/pom.xml bridge-coap/
COPY storage-rocksdb/pom.xml storage-rocksdb/
COPY broker-app/pom.xml broker-app/
COPY bench/pom.xml bench/
COPY broker-core/src broker-core/src
COPY protocol-mqtt/src protocol-mqtt/src
COPY transport-tcp/src transport-tcp/src
COPY transport-websocket/src transport-websocket/src
COPY bridge-http/src bridge-http/src
COPY bridge-coap/src bridge-coap/src
COPY storage-rocksdb/src storage-rocksdb/src
COPY broker-app/src broker-app/src
# The daemon and what it needs; bench (load generator, JMH) is not part of the image.
RUN ./mvnw -B -q -ntp package -DskipTests -pl broker-app -am

# ---- run: a JRE, a non-root user, the jar, the default config ----
FROM eclipse-temurin:17-jre
RUN groupadd --system tern && useradd --system --gid tern --home-dir /var/lib/tern --shell /usr/sbin/nologin tern \
    && mkdir -p /opt/tern/bin /etc/tern /var/lib/tern && chown tern:tern /var/lib/tern
COPY --from=build /src/broker-app/target/tern.jar /opt/tern/tern.jar
COPY config/tern.yaml /etc/tern/tern.yaml
COPY packaging/docker/entrypoint.sh /opt/tern/bin/entrypoint.sh
COPY packaging/bin/tern-health /opt/tern/bin/tern-health
WORKDIR /var/lib/tern
VOLUME ["/var/lib/tern"]
# MQTT/TCP, MQTT/TLS (when configured), MQTT/WebSocket, HTTP bridge, CoAP (UDP)
EXPOSE 1883 8883 8083 8080 5683/udp
USER tern
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/opt/tern/bin/tern-health", "8080"]
ENTRYPOINT ["/opt/tern/bin/entrypoint.sh"]
