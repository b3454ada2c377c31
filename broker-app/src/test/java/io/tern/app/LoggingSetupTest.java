package io.tern.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.tern.app.config.LoggingConfig;
import io.tern.mqtt.MqttTail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class LoggingSetupTest {
    private final LoggingSetup setup = new LoggingSetup();

    @AfterEach
    void restoreDefaults() {
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of()));
    }

    @Test
    void connectionLinesAreOffByDefault() {
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of()));

        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.WARN);
    }

    /** A SIGHUP that drops a ROOT level must not fail: the root logger cannot inherit. */
    @Test
    void aReloadWithoutARootLevelPutsTheRootBack() {
        Level before = effectiveLevel("ROOT");
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("ROOT", "error")));
        assertThat(effectiveLevel("ROOT")).isEqualTo(Level.ERROR);

        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of()));

        assertThat(effectiveLevel("ROOT")).isEqualTo(before);
    }

    @Test
    void aLevelOnTheConnectionsLoggerOrAboveItTurnsThemOn() {
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("io.tern.connections", "info")));
        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.INFO);

        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("io.tern", "debug")));
        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.DEBUG);

        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("ROOT", "info")));
        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.INFO);
    }

    @Test
    void aLoggerThatOnlySharesAPrefixDoesNot() {
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("io.tern.conn", "info")));

        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.WARN);
    }

    @Test
    void aReloadWithoutTheLevelTurnsThemOffAgain() {
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("io.tern.connections", "info")));
        setup.apply(new LoggingConfig(LoggingConfig.LogFormat.TEXT, Map.of("io.tern.mqtt", "debug")));

        assertThat(effectiveLevel(MqttTail.CONNECTIONS_LOGGER)).isEqualTo(Level.WARN);
    }

    private static Level effectiveLevel(String logger) {
        return ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(logger).getEffectiveLevel();
    }
}
