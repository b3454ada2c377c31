package io.tern.app;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The systemd unit, the Dockerfile and the scripts they use. No Docker engine runs on the build
 * machines, so the image is checked by reading the Dockerfile and by running its scripts here.
 */
class PackagingTest extends ClientSupport {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path UNIT = ROOT.resolve("packaging/systemd/tern.service");
    private static final Path HEALTH = ROOT.resolve("packaging/bin/tern-health");
    private static final Path ENTRYPOINT = ROOT.resolve("packaging/docker/entrypoint.sh");
    private static final Path DOCKERFILE = ROOT.resolve("Dockerfile");

    @Override
    String brokerYaml() {
        return "  http: { host: 127.0.0.1, port: 0 }\n";
    }

    private record Result(int exit, String output) {
    }

    private static Result run(Map<String, String> environment, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }

    private static String require(String tool, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool).toString();
            }
        }
        if (System.getenv("CI") != null) {
            fail(tool + " not found; .ci/run should install " + debianPackage);
        }
        Assumptions.abort("needs " + tool + " (apt-get install " + debianPackage + ")");
        return null;
    }

    @Test
    void systemdUnitVerifiesCleanlyAndIsHardened() throws Exception {
        Result verify = run(Map.of(), require("systemd-analyze", "systemd"), "verify", UNIT.toString());
        assertThat(verify.exit()).isZero();
        assertThat(verify.output()).as("systemd-analyze verify output").isBlank();
        String unit = Files.readString(UNIT);
        assertThat(unit).contains("User=tern", "NoNewPrivileges=yes", "ProtectSystem=strict",
                "ReadWritePaths=/var/lib/tern", "LimitNOFILE=", "Restart=on-failure",
                "ExecReload=/bin/kill -HUP $MAINPID", "ExecStartPost=/bin/bash /opt/tern/bin/tern-health --wait",
                "WantedBy=multi-user.target");
    }

    @Test
    void scriptsPassShellcheck() throws Exception {
        Result check = run(Map.of(), require("shellcheck", "shellcheck"), HEALTH.toString(), ENTRYPOINT.toString());
        assertThat(check.output()).isBlank();
        assertThat(check.exit()).isZero();
    }

    @Test
    void dockerfileBuildsWithTheWrapperAndRunsAsNonRootWithAHealthcheck() throws Exception {
        String dockerfile = Files.readString(DOCKERFILE);
        assertThat(Pattern.compile("(?m)^FROM ").matcher(dockerfile).results().count()).isEqualTo(2); // multi-stage
        assertThat(dockerfile).contains("./mvnw", "EXPOSE 1883 8883 8083 8080 5683/udp", "VOLUME [\"/var/lib/tern\"]",
                "HEALTHCHECK", "/opt/tern/bin/tern-health", "ENTRYPOINT [\"/opt/tern/bin/entrypoint.sh\"]");
        Matcher user = Pattern.compile("(?m)^USER (\\S+)").matcher(dockerfile);
        assertThat(user.find()).isTrue();
        assertThat(user.group(1)).isNotIn("root", "0");
        // Every file the build copies from the context exists.
        Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+) (\\S+)$").matcher(dockerfile);
        List<String> sources = new ArrayList<>();
        while (copy.find()) {
            for (String source : copy.group(1).trim().split("\\s+")) {
                sources.add(source);
            }
        }
        assertThat(sources).isNotEmpty().allSatisfy(source ->
                assertThat(ROOT.resolve(source)).as("COPY source %s", source).exists());
        // Maven reads every module's pom of the reactor, so each must be copied; the daemon's
        // modules need their sources too (bench is left out of the build with -pl broker-app -am).
        List<String> modules = Pattern.compile("<module>([^<]+)</module>")
                .matcher(Files.readString(ROOT.resolve("pom.xml"))).results().map(m -> m.group(1)).toList();
        assertThat(modules).contains("broker-app", "storage-rocksdb", "bench");
        for (String module : modules) {
            assertThat(dockerfile).contains("COPY " + module + "/pom.xml " + module + "/");
            if (!module.equals("bench")) {
                assertThat(dockerfile).contains("COPY " + module + "/src " + module + "/src");
            }
        }
        assertThat(dockerfile).contains("-pl broker-app -am");
    }

    @Test
    void entrypointPassesConfigAndJvmFlags(@TempDir Path dir) throws Exception {
        Path fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\necho \"java $*\"\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("tern.yaml");
        Files.writeString(config, "listeners: { tcp: {} }\n");
        Map<String, String> env = Map.of("JAVA", fakeJava.toString(), "TERN_CONFIG", config.toString(),
                "TERN_JAVA_OPTS", "-Xmx64m", "TERN_JAR", "/opt/tern/tern.jar");
        Result serve = run(env, "sh", ENTRYPOINT.toString(), "--log-format", "json");
        assertThat(serve.exit()).isZero();
        assertThat(serve.output().strip()).isEqualTo("java -XX:+UseG1GC -XX:MaxRAMPercentage=60 "
                + "-XX:+ExitOnOutOfMemoryError -Xmx64m -jar /opt/tern/tern.jar --config " + config + " --log-format json");
        Result check = run(env, "sh", ENTRYPOINT.toString(), "check-config", config.toString());
        assertThat(check.output().strip()).isEqualTo("java -Xmx64m -jar /opt/tern/tern.jar check-config " + config);
        Result noFile = run(Map.of("JAVA", fakeJava.toString(), "TERN_CONFIG", dir.resolve("none.yaml").toString()),
                "sh", ENTRYPOINT.toString());
        assertThat(noFile.output()).doesNotContain("--config"); // built-in defaults and TERN_* variables
    }

    @Test
    void healthScriptAnswersForALiveBrokerAndFailsOtherwise() throws Exception {
        String port = Integer.toString(broker().server.httpAddress().getPort());
        assertThat(run(Map.of(), "bash", HEALTH.toString(), port).exit()).isZero();
        assertThat(run(Map.of(), "bash", HEALTH.toString(), "--wait", "5", port).exit()).isZero();
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        assertThat(run(Map.of(), "bash", HEALTH.toString(), Integer.toString(closed)).exit()).isEqualTo(1);
        long start = System.nanoTime();
        assertThat(run(Map.of(), "bash", HEALTH.toString(), "--wait", "1", Integer.toString(closed)).exit()).isEqualTo(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(900);
    }
}
