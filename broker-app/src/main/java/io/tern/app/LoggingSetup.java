package io.tern.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.tern.app.config.LoggingConfig;
import io.tern.mqtt.MqttTail;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Applies {@code logging.*}: the line format of the console appender and per-logger levels.
 * Safe to call again on reload; levels set by an earlier call and no longer listed go back to
 * inheriting.
 */
final class LoggingSetup {
    private static final String TERN_LOGGERS = "io.tern";
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} %msg%n";
    private final Map<String, Level> applied = new HashMap<>();
    /** The root logger's level before any {@code logging.levels} entry changed it. */
    private Level rootBefore;

    synchronized void apply(LoggingConfig logging) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: leave it alone
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        boolean ownFile = System.getProperty("logback.configurationFile") != null;
        if (!ownFile) {
            replaceConsole(context, root, logging.format());
        }
        if (rootBefore == null) {
            rootBefore = root.getLevel();
        }
        // The root logger cannot inherit: it goes back to its own first level instead.
        applied.forEach((name, level) -> {
            Logger logger = context.getLogger(name);
            logger.setLevel(logger == root ? rootBefore : null);
        });
        applied.clear();
        // The per-connection lines: off (WARN) unless a level is set on their logger or one above
        // it. A connection storm would otherwise flood the log, and each line costs the event loop
        // a formatted event and a console write.
        if (!ownFile && logging.levels().keySet().stream().noneMatch(LoggingSetup::coversConnections)) {
            context.getLogger(MqttTail.CONNECTIONS_LOGGER).setLevel(Level.WARN);
            applied.put(MqttTail.CONNECTIONS_LOGGER, Level.WARN);
        }
        logging.levels().forEach((name, level) -> {
            Level parsed = Level.toLevel(level.toUpperCase(java.util.Locale.ROOT));
            context.getLogger(name).setLevel(parsed);
            applied.put(name, parsed);
        });
    }

    /**
     * Until closed, Tern's own lines below WARN are dropped: for the warm-up, whose throwaway
     * listener and thousands of clients are not the operator's business (with the connection
     * lines on, they were 20,000 lines at every start). Its summary is logged after.
     *
     * <p>By raising levels, not with a turbo filter: logback asks its turbo filters on every log
     * check, and checks the JIT compiled while a filter denied were thrown away at the first one
     * after it (-XX:+LogCompilation: {@code unstable_if} in the filter while it stayed installed
     * and switched off, in logback's {@code Logger.isInfoEnabled} when it let events through). A
     * level is a field the compiled check reads; with no filter, the filter list is always empty.
     */
    synchronized Quiet quietBelowWarn() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> { };
        }
        Logger tern = context.getLogger(TERN_LOGGERS);
        Map<Logger, Level> raised = new HashMap<>(); // the level each had, null for inherited
        for (Logger logger : context.getLoggerList()) {
            boolean ours = logger == tern || logger.getName().startsWith(TERN_LOGGERS + ".");
            if (ours && (logger == tern || logger.getLevel() != null)
                    && !logger.getEffectiveLevel().isGreaterOrEqual(Level.WARN)) {
                raised.put(logger, logger.getLevel());
                logger.setLevel(Level.WARN);
            }
        }
        return () -> {
            synchronized (this) {
                // A reload (SIGHUP) in between may have set a level of its own: that one stays.
                raised.forEach((logger, level) -> {
                    if (logger.getLevel() == Level.WARN) {
                        logger.setLevel(level);
                    }
                });
            }
        };
    }

    /** Ends a {@link #quietBelowWarn} period. */
    interface Quiet extends AutoCloseable {
        @Override
        void close();
    }

    private static boolean coversConnections(String logger) {
        String connections = MqttTail.CONNECTIONS_LOGGER;
        return logger.equalsIgnoreCase(org.slf4j.Logger.ROOT_LOGGER_NAME) || logger.equals(connections)
                || connections.startsWith(logger + ".");
    }

    /** An operator's own logback file (-Dlogback.configurationFile) keeps its appenders. */
    private static void replaceConsole(LoggerContext context, Logger root, LoggingConfig.LogFormat format) {
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("STDOUT");
        console.setEncoder(encoder(context, format));
        console.start();
        root.detachAndStopAllAppenders();
        root.addAppender(console);
    }

    private static Encoder<ILoggingEvent> encoder(LoggerContext context, LoggingConfig.LogFormat format) {
        if (format == LoggingConfig.LogFormat.JSON) {
            LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
            JsonLineLayout layout = new JsonLineLayout();
            layout.setContext(context);
            layout.start();
            encoder.setLayout(layout);
            encoder.setContext(context);
            encoder.start();
            return encoder;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setPattern(PATTERN);
        encoder.setContext(context);
        encoder.start();
        return encoder;
    }
}
