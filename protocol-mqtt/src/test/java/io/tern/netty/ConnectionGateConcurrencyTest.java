package io.tern.netty;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.embedded.EmbeddedChannel;
import io.tern.core.metrics.BrokerMetrics;
import org.junit.jupiter.api.RepeatedTest;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections from one address opening and closing on several threads at once. In each round all
 * threads connect at the same moment and exactly the limit get in; then they all close, the last
 * close removes the address's entry, and the next round counts into a new one.
 */
class ConnectionGateConcurrencyTest {
    private static final int THREADS = 4;
    private static final int ROUNDS = 2_000;
    private static final int LIMIT = 3;

    /** A channel whose peer is a real IP address, which is all the gate looks at. */
    private static final class FromAddress extends EmbeddedChannel {
        private final InetSocketAddress peer;

        FromAddress(String ip, int port) {
            this.peer = new InetSocketAddress(ip, port);
        }

        @Override
        protected SocketAddress remoteAddress0() {
            return peer;
        }
    }

    @RepeatedTest(5)
    void exactlyTheLimitGetsInAndNothingStaysCounted() throws Exception {
        ConnectionGate gate = new ConnectionGate(0, LIMIT, 0, new BrokerMetrics(new SimpleMeterRegistry()));
        AtomicInteger admittedThisRound = new AtomicInteger();
        AtomicInteger roundsWithTheWrongCount = new AtomicInteger();
        CyclicBarrier together = new CyclicBarrier(THREADS, () -> {
            // Runs between the connect phase and the close phase of each round.
            if (admittedThisRound.getAndSet(0) != LIMIT) {
                roundsWithTheWrongCount.incrementAndGet();
            }
        });
        CyclicBarrier start = new CyclicBarrier(THREADS);
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                FromAddress channel = new FromAddress("10.0.0.7", 1000 + t);
                done.add(threads.submit(() -> {
                    for (int i = 0; i < ROUNDS; i++) {
                        start.await(10, TimeUnit.SECONDS);
                        boolean in = gate.admit(channel);
                        if (in) {
                            admittedThisRound.incrementAndGet();
                        }
                        together.await(10, TimeUnit.SECONDS);
                        if (in) {
                            gate.release(channel); // the closes of one round race each other
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(roundsWithTheWrongCount.get()).as("rounds where other than %d got in", LIMIT).isZero();
        assertThat(gate.trackedAddresses()).as("the last close removed the address").isZero();
        FromAddress later = new FromAddress("10.0.0.7", 2000);
        for (int i = 0; i < LIMIT; i++) {
            assertThat(gate.admit(later)).isTrue();
        }
        assertThat(gate.admit(later)).isFalse();
    }
}
