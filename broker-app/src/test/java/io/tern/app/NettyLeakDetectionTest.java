package io.tern.app;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class NettyLeakDetectionTest {
    private ResourceLeakDetector.Level before;
    private String property;
    private String legacyProperty;

    @BeforeEach
    void remember() {
        before = ResourceLeakDetector.getLevel();
        property = System.getProperty(NettyLeakDetection.PROPERTY);
        legacyProperty = System.getProperty(NettyLeakDetection.LEGACY_PROPERTY);
        System.clearProperty(NettyLeakDetection.PROPERTY);
        System.clearProperty(NettyLeakDetection.LEGACY_PROPERTY);
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
    }

    @AfterEach
    void restore() {
        ResourceLeakDetector.setLevel(before);
        restore(NettyLeakDetection.PROPERTY, property);
        restore(NettyLeakDetection.LEGACY_PROPERTY, legacyProperty);
    }

    private static void restore(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    @Test
    void theDaemonTurnsTheDetectorOffWhenNoLevelWasGiven() {
        assertThat(NettyLeakDetection.turnOffUnlessAsked()).isTrue();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    }

    @Test
    void aLevelGivenOnTheCommandLineIsLeftAsItIs() {
        System.setProperty(NettyLeakDetection.PROPERTY, "paranoid");
        assertThat(NettyLeakDetection.turnOffUnlessAsked()).isFalse();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.SIMPLE);
    }

    @Test
    void theOlderPropertyNameCountsToo() {
        System.setProperty(NettyLeakDetection.LEGACY_PROPERTY, "advanced");
        assertThat(NettyLeakDetection.turnOffUnlessAsked()).isFalse();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.SIMPLE);
    }
}
