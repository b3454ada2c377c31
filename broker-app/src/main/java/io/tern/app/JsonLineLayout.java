package io.tern.app;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One JSON object per line. Tern's log messages are {@code event_name key=value key="value"}; the
 * event name and each key become fields, so log pipelines need no parsing of their own.
 */
public final class JsonLineLayout extends LayoutBase<ILoggingEvent> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern FIELD = Pattern.compile("([a-z_][a-z0-9_]*)=(\"([^\"]*)\"|(\\S*))");
    private static final Pattern EVENT = Pattern.compile("^[a-z][a-z0-9_]*$");
    private static final Set<String> RESERVED = Set.of("ts", "level", "logger", "thread", "event", "message", "error");

    @Override
    public String doLayout(ILoggingEvent event) {
        ObjectNode line = JSON.createObjectNode();
        line.put("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        line.put("level", event.getLevel().toString());
        line.put("logger", event.getLoggerName());
        line.put("thread", event.getThreadName());
        String message = event.getFormattedMessage();
        String first = message.split(" ", 2)[0];
        if (EVENT.matcher(first).matches()) {
            line.put("event", first);
            Matcher fields = FIELD.matcher(message.substring(first.length()));
            while (fields.find()) {
                String key = fields.group(1);
                if (!RESERVED.contains(key)) {
                    line.put(key, fields.group(3) != null ? fields.group(3) : fields.group(4));
                }
            }
        }
        line.put("message", message);
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            line.put("error", ThrowableProxyUtil.asString(error));
        }
        try {
            return JSON.writeValueAsString(line) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            return "{\"level\":\"ERROR\",\"message\":\"unserialisable log event\"}" + System.lineSeparator();
        }
    }
}
