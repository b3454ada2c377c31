package io.tern.netty;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EventLoopsTest {

    @Test
    void unconfiguredLoopsAreOnePerTwoCoresAndNeverNone() {
        assertThat(EventLoops.defaultThreads(1)).isEqualTo(1);
        assertThat(EventLoops.defaultThreads(2)).isEqualTo(1);
        assertThat(EventLoops.defaultThreads(3)).isEqualTo(1);
        assertThat(EventLoops.defaultThreads(4)).isEqualTo(2);
        assertThat(EventLoops.defaultThreads(64)).isEqualTo(32);
    }

    @Test
    void aGroupHasTheThreadsItWasGiven() {
        try (EventLoops loops = new EventLoops(3)) {
            assertThat(loops.threads()).isEqualTo(3);
            assertThat(loops.workers()).hasSize(3);
        }
    }
}
