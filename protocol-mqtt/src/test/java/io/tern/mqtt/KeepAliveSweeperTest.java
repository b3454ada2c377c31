package io.tern.mqtt;

import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class KeepAliveSweeperTest {

    /** A connection as the sweeper sees it; "reads" when the test says so. */
    private static final class Fake implements KeepAliveSweeper.Watched {
        final String name;
        final long allowed;
        final List<String> expired;
        long lastRead;
        int slot = -1;

        Fake(String name, int keepAliveSeconds, List<String> expired) {
            this.name = name;
            this.allowed = KeepAliveSweeper.allowedSweeps(keepAliveSeconds);
            this.expired = expired;
        }

        @Override
        public long lastReadSweep() {
            return lastRead;
        }

        @Override
        public long allowedSweeps() {
            return allowed;
        }

        @Override
        public int slot() {
            return slot;
        }

        @Override
        public void slot(int slot) {
            this.slot = slot;
        }

        @Override
        public void keepAliveExpired() {
            expired.add(name);
        }
    }

    @Test
    void allowanceIsOneAndAHalfKeepAlivesRoundedUpToSweeps() {
        assertThat(KeepAliveSweeper.allowedSweeps(1)).isEqualTo(3);   // 1.5 s
        assertThat(KeepAliveSweeper.allowedSweeps(2)).isEqualTo(6);   // 3 s
        assertThat(KeepAliveSweeper.allowedSweeps(65_535)).isEqualTo(196_605);
    }

    @Test
    void expiresOnlySilentConnectionsAndSurvivesUnwatchingFromTheMiddle() {
        EmbeddedChannel loopOwner = new EmbeddedChannel();
        List<String> expired = new ArrayList<>();
        KeepAliveSweeper.PerLoop perLoop = new KeepAliveSweeper.PerLoop();
        KeepAliveSweeper sweeper = perLoop.of(loopOwner.eventLoop());
        List<Fake> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Fake fake = new Fake("c" + i, 2, expired);
            all.add(fake);
            sweeper.watch(fake);
        }
        sweeper.unwatch(all.get(1)); // the last moves into its slot
        assertThat(all.get(1).slot).isEqualTo(-1);
        assertThat(all.get(4).slot).isEqualTo(1);

        // c0 keeps reading every second; the others stay silent.
        for (int second = 1; second <= 3; second++) {
            loopOwner.advanceTimeBy(1, TimeUnit.SECONDS);
            loopOwner.runScheduledPendingTasks();
            all.get(0).lastRead = sweeper.now();
        }
        assertThat(expired).isEmpty(); // 3 s is the allowance itself: not yet
        loopOwner.advanceTimeBy(1, TimeUnit.SECONDS);
        loopOwner.runScheduledPendingTasks();
        assertThat(expired).containsExactlyInAnyOrder("c2", "c3", "c4");

        for (Fake fake : all) {
            sweeper.unwatch(fake); // c1 twice: a no-op
        }
        assertThat(perLoop.of(loopOwner.eventLoop())).isNotSameAs(sweeper); // the empty one retired
        loopOwner.finishAndReleaseAll();
    }
}
