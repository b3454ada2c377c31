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
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Applies {@code logging.*}: the line format of the console appender and per-logger levels.
 * Safe to call again on reload; levels set by an earlier call and no longer listed go back to
 * inheriting.
 */
final class LoggingSetup {
    private static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} %msg%n";
    private final Map<String, Level> applied = new HashMap<>();

    synchronized void apply(LoggingConfig logging) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return; // another SLF4J backend: leave it alone
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (System.getProperty("logback.configurationFile") == null) {
            replaceConsole(context, root, logging.format());
        }
        applied.forEach((name, level) -> context.getLogger(name).setLevel(null));
        applied.clear();
        logging.levels().forEach((name, level) -> {
            Level parsed = Level.toLevel(level.toUpperCase(java.util.Locale.ROOT));
            context.getLogger(name).setLevel(parsed);
            applied.put(name, parsed);
        });
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
