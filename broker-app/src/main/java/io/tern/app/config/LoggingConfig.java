package io.tern.app.config;

import java.util.Map;

/**
 * @param format text (human-readable lines) or json (one JSON object per line)
 * @param levels logger name (package or class) to level: trace, debug, info, warn, error, off
 */
public record LoggingConfig(LogFormat format, Map<String, String> levels) {
    public LoggingConfig {
        levels = Map.copyOf(levels);
    }

    public LoggingConfig withFormat(LogFormat newFormat) {
        return new LoggingConfig(newFormat, levels);
    }

    public enum LogFormat { TEXT, JSON }
}
