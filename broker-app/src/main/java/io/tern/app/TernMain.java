package io.tern.app;

import io.tern.app.config.ConfigException;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.LoggingConfig;
import io.tern.app.config.TernConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar tern.jar [--config FILE] [--log-format text|json]},
 * {@code java -jar tern.jar check-config FILE}.
 */
public final class TernMain {
    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 2;
    static final int EXIT_START_FAILED = 1;

    private TernMain() {
    }

    public static void main(String[] args) {
        int code = run(args, System.getenv(), System.out, System.err);
        if (code != EXIT_OK) {
            System.exit(code);
        }
    }

    static String version() {
        String version = TernMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** What the command line asked for. */
    private record Options(Path configFile, LoggingConfig.LogFormat logFormat, boolean checkOnly) {
    }

    /** Parses arguments, then checks the config or runs the server until SIGTERM/SIGINT. */
    static int run(String[] args, Map<String, String> environment, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals("passwd")) {
            return PasswdCommand.run(java.util.Arrays.copyOfRange(args, 1, args.length), System.console(), System.in,
                    out, err);
        }
        Path configFile = null;
        LoggingConfig.LogFormat logFormat = null;
        boolean checkOnly = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.println(usage());
                    return EXIT_OK;
                }
                case "--version", "-V" -> {
                    out.println("tern " + version());
                    return EXIT_OK;
                }
                case "--config", "-c", "check-config" -> {
                    if (i + 1 >= args.length) {
                        err.println("tern: " + args[i] + " needs a file\n" + usage());
                        return EXIT_USAGE;
                    }
                    checkOnly |= args[i].equals("check-config");
                    configFile = Path.of(args[++i]);
                }
                case "--log-format" -> {
                    String value = i + 1 < args.length ? args[++i] : "";
                    if (!value.equals("text") && !value.equals("json")) {
                        err.println("tern: --log-format takes text or json, got '" + value + "'");
                        return EXIT_USAGE;
                    }
                    logFormat = LoggingConfig.LogFormat.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                }
                default -> {
                    err.println("tern: unknown argument '" + args[i] + "'\n" + usage());
                    return EXIT_USAGE;
                }
            }
        }
        Options options = new Options(configFile, logFormat, checkOnly);
        TernConfig config;
        try {
            config = load(options, environment);
        } catch (ConfigException e) {
            err.println("tern: config error: " + e.getMessage());
            return EXIT_USAGE;
        }
        if (checkOnly) {
            String problem = checkFiles(config);
            if (problem != null) {
                err.println("tern: config error: " + problem);
                return EXIT_USAGE;
            }
            out.println("tern: config ok: " + configFile);
            return EXIT_OK;
        }
        return serve(options, environment, config, err);
    }

    /** Reads the password, ACL and TLS files the config names, as start-up would; null when all are usable. */
    private static String checkFiles(TernConfig config) {
        try {
            Security.check(config.auth());
            for (var listener : java.util.List.of(config.tls(), config.websocketTls(), config.https())) {
                if (listener.listener().enabled()) {
                    new io.tern.netty.TlsContext(listener.configKey(), listener.tls());
                }
            }
            return null;
        } catch (io.tern.core.auth.AuthFileException | io.tern.netty.TlsContext.TlsException e) {
            return e.getMessage();
        }
    }

    private static TernConfig load(Options options, Map<String, String> environment) throws ConfigException {
        ConfigLoader loader = new ConfigLoader(environment);
        TernConfig config = options.configFile() == null ? loader.loadDefaults() : loader.load(options.configFile());
        return options.logFormat() == null ? config : config.withLogging(config.logging().withFormat(options.logFormat()));
    }

    private static int serve(Options options, Map<String, String> environment, TernConfig config, PrintStream err) {
        LoggingSetup logging = new LoggingSetup();
        logging.apply(config.logging());
        Logger log = LoggerFactory.getLogger(TernMain.class);
        if (NettyLeakDetection.turnOffUnlessAsked()) {
            log.info("netty_leak_detection level=disabled");
        }
        // Signal handlers go in before anything starts, so a TERM during start-up also ends in a
        // clean stop with exit 0 (the JVM's default handling would exit 143).
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
        TernServer server;
        try {
            server = new TernServer(config);
        } catch (TernServer.StartupException e) {
            err.println("tern: cannot start: " + e.getMessage());
            return EXIT_START_FAILED;
        }
        // HUP re-reads the configuration and applies what can change at run time: logging, the
        // password and ACL files, and TLS certificates.
        Signal hangUp = new Signal("HUP");
        Signal.handle(hangUp, signal -> {
            try {
                TernConfig reloaded = load(options, environment);
                logging.apply(reloaded.logging());
                boolean all = server.reload(reloaded);
                log.info("config_reloaded applied=logging,auth,tls complete={}", all);
            } catch (ConfigException e) {
                log.warn("config_reload_failed kept=previous error=\"{}\"", e.getMessage());
            }
        });
        if (IgnoredSignals.isIgnored(hangUp.getNumber())) {
            // Started with HUP ignored (nohup does that): the JVM then installs no handler for it,
            // so kill -HUP would do nothing at all. Mosquitto reloads regardless; we can only say so.
            log.warn("sighup_ignored reload=unavailable hint=\"started with SIGHUP ignored (nohup?); start it without"
                    + " nohup (systemd, docker, or setsid instead) for kill -HUP reloads\"");
        }
        if (HeapRetention.keepGrownHeap()) {
            log.info("jvm_heap_kept max_heap_free_ratio={}", HeapRetention.KEEP);
        }
        try {
            WarmUp.Result warmUp;
            try (LoggingSetup.Quiet quiet = logging.quietBelowWarn()) {
                warmUp = server.warmUp();
            }
            log.info("warm_up_done messages={} connections={} millis={}", warmUp.messages(), warmUp.connections(),
                    warmUp.millis());
        } catch (RuntimeException e) {
            // Only speed is at stake: start cold rather than not at all.
            log.warn("warm_up_failed error=\"{}\"", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.start();
        } catch (Exception e) {
            err.println("tern: cannot start: " + describe(e));
            server.close();
            return EXIT_START_FAILED;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "tern-shutdown"));
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
        System.exit(EXIT_OK);
        return EXIT_OK;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : message;
    }

    static String usage() {
        return """
                Usage: java -jar tern.jar [--config FILE] [--log-format text|json]
                       java -jar tern.jar check-config FILE

                Tern MQTT broker. Without --config: MQTT on 0.0.0.0:1883, MQTT over WebSocket on
                0.0.0.0:8083/mqtt, HTTP bridge on 0.0.0.0:8080, CoAP bridge on 0.0.0.0:5683/udp.
                Every setting can also come from the environment: TERN_ + its path in upper case
                with '_' for '.', e.g. TERN_LISTENERS_TCP_PORT=1884 (see docs/configuration.md).

                Options:
                  -c, --config FILE       read settings from a YAML file (see config/tern.yaml)
                  check-config FILE       validate FILE, the environment and the password, ACL and
                                          certificate files it names, then exit: 0 ok, 2 not
                  passwd [-D] FILE USER   add, change (-D: delete) a user of a password file
                  --log-format text|json  human-readable lines (default) or JSON lines
                  -h, --help              show this help
                  -V, --version           print the version

                Signals: TERM/INT stop cleanly (exit 0); HUP reloads the logging settings, the password
                and ACL files and the TLS certificates (a bad file keeps the previous one).""";
    }
}
