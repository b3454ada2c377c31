package io.tern.app;

import io.tern.app.config.ConfigException;
import io.tern.app.config.ConfigLoader;
import io.tern.app.config.TernConfig;
import sun.misc.Signal;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/** {@code java -jar tern.jar [--config FILE]}. */
public final class TernMain {
    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 2;
    static final int EXIT_START_FAILED = 1;

    private TernMain() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != EXIT_OK) {
            System.exit(code);
        }
    }

    static String version() {
        String version = TernMain.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    /** Parses arguments, starts the server and blocks until SIGTERM/SIGINT; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Path configFile = null;
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
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("tern: --config needs a file");
                        return EXIT_USAGE;
                    }
                    configFile = Path.of(args[++i]);
                }
                default -> {
                    err.println("tern: unknown argument '" + args[i] + "'\n" + usage());
                    return EXIT_USAGE;
                }
            }
        }
        TernConfig config;
        try {
            config = configFile == null ? ConfigLoader.defaults() : new ConfigLoader().load(configFile);
        } catch (ConfigException e) {
            err.println("tern: config error: " + e.getMessage());
            return EXIT_USAGE;
        }
        TernServer server = new TernServer(config);
        try {
            server.start();
        } catch (Exception e) {
            err.println("tern: cannot start: " + describe(e));
            server.close();
            return EXIT_START_FAILED;
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Handle TERM/INT ourselves so a clean stop exits 0 (a JVM shutdown hook would exit 143).
        Signal.handle(new Signal("TERM"), signal -> stop.countDown());
        Signal.handle(new Signal("INT"), signal -> stop.countDown());
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
                Usage: java -jar tern.jar [--config FILE]

                Tern MQTT broker. Without --config: MQTT on 0.0.0.0:1883, MQTT over WebSocket on
                0.0.0.0:8083/mqtt, HTTP bridge on 0.0.0.0:8080, CoAP bridge on 0.0.0.0:5683/udp.

                Options:
                  -c, --config FILE   read settings from a YAML file (see config/tern.yaml)
                  -h, --help          show this help
                  -V, --version       print the version""";
    }
}
