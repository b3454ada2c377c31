#!/bin/sh
# Container entrypoint: runs Tern with container-friendly JVM flags.
#   TERN_CONFIG     config file (default /etc/tern/tern.yaml); settings can also come from
#                   TERN_* variables, e.g. TERN_LISTENERS_TCP_PORT=1884 (docs/configuration.md)
#   TERN_JAVA_OPTS  extra JVM flags
#   TERN_JAR        the jar (default /opt/tern/tern.jar)
#   JAVA            the java command (default: java on PATH)
# Arguments are passed to Tern: "check-config /etc/tern/tern.yaml", "--log-format json", ...
set -eu

config="${TERN_CONFIG:-/etc/tern/tern.yaml}"
jar="${TERN_JAR:-/opt/tern/tern.jar}"
java_cmd="${JAVA:-java}"
# Size the heap from the container's memory limit, and die (to be restarted) rather than limp on.
default_opts="-XX:+UseG1GC -XX:MaxRAMPercentage=60 -XX:+ExitOnOutOfMemoryError"

case "${1:-}" in
  check-config|--help|-h|--version|-V)
    # shellcheck disable=SC2086
    exec "$java_cmd" ${TERN_JAVA_OPTS:-} -jar "$jar" "$@"
    ;;
esac

if [ -f "$config" ]; then
  set -- --config "$config" "$@"
fi
# shellcheck disable=SC2086
exec "$java_cmd" $default_opts ${TERN_JAVA_OPTS:-} -jar "$jar" "$@"
