package io.tern.core.session;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** One owner at a time, in order, while ownership moves between executors under load. */
class SessionMailboxTest {
    private final List<ExecutorService> executors = new ArrayList<>();

    private ExecutorService executor() {
        ExecutorService e = Executors.newSingleThreadExecutor();
        executors.add(e);
        return e;
    }

    @AfterEach
    void shutdown() throws InterruptedException {
        for (ExecutorService e : executors) {
            e.shutdownNow();
            assertThat(e.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }

    @RepeatedTest(20)
    void tasksNeverOverlapAndKeepPerProducerOrderWhileOwnersChange() throws Exception {
        ExecutorService[] owners = {executor(), executor(), executor()};
        AtomicInteger flushes = new AtomicInteger();
        SessionMailbox mailbox = new SessionMailbox(owners[0], owners[0], flushes::incrementAndGet);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int producers = 4;
        int perProducer = 5_000;
        int[] lastSeen = new int[producers]; // owner-thread state: no synchronisation on purpose
        AtomicInteger outOfOrder = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(producers * perProducer);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int producer = p;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 1; i <= perProducer; i++) {
                    int sequence = i;
                    mailbox.execute(() -> {
                        if (running.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        if (lastSeen[producer] != sequence - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        lastSeen[producer] = sequence;
                        if (sequence % 97 == 0) {
                            mailbox.moveTo(owners[sequence % owners.length]); // as attach/detach do
                        }
                        running.decrementAndGet();
                        done.countDown();
                    });
                }
            });
            threads.add(t);
            t.start();
        }
        start.countDown();
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(overlaps.get()).isZero();
        assertThat(outOfOrder.get()).isZero();
        assertThat(flushes.get()).isPositive();
    }
}
