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

    @org.junit.jupiter.api.Test
    void runsInlineOnlyOnTheOwnersThreadWithNothingQueuedOrRunning() throws Exception {
        ExecutorService owner = executor();
        ExecutorService other = executor();
        SessionMailbox mailbox = new SessionMailbox(owner, owner, () -> { });
        CountDownLatch drained = new CountDownLatch(1);
        mailbox.execute(drained::countDown); // the first drain tells the mailbox its owner's thread
        assertThat(drained.await(5, TimeUnit.SECONDS)).isTrue();

        List<String> ran = new ArrayList<>();
        assertThat(mailbox.tryRunInline(() -> ran.add("test thread"))).isFalse();
        assertThat(owner.submit(() -> mailbox.tryRunInline(() -> ran.add("owner"))).get()).isTrue();
        // With a task of its own queued, the session's next work waits behind it.
        assertThat(owner.submit(() -> {
            mailbox.execute(() -> ran.add("queued"));
            return mailbox.tryRunInline(() -> ran.add("overtaking"));
        }).get()).isFalse();
        CountDownLatch moved = new CountDownLatch(1);
        mailbox.execute(() -> {
            mailbox.moveTo(other); // as attach and detach do
            moved.countDown();
        });
        assertThat(moved.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(owner.submit(() -> mailbox.tryRunInline(() -> ran.add("old owner"))).get()).isFalse();
        assertThat(ran).containsExactly("owner", "queued");
    }

    @RepeatedTest(10)
    void inlineRunsNeverOverlapQueuedOnesAndKeepTheOwnersOrder() throws Exception {
        ExecutorService owner = executor();
        SessionMailbox mailbox = new SessionMailbox(owner, owner, () -> { });
        CountDownLatch first = new CountDownLatch(1);
        mailbox.execute(first::countDown);
        assertThat(first.await(5, TimeUnit.SECONDS)).isTrue();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger inline = new AtomicInteger();
        int[] lastSeen = new int[3]; // owner-thread state: no synchronisation on purpose
        AtomicInteger outOfOrder = new AtomicInteger();
        int perProducer = 20_000;
        CountDownLatch done = new CountDownLatch(3 * perProducer);
        java.util.function.BiFunction<Integer, Integer, Runnable> step = (producer, sequence) -> () -> {
            if (running.incrementAndGet() != 1) {
                overlaps.incrementAndGet();
            }
            if (lastSeen[producer] != sequence - 1) {
                outOfOrder.incrementAndGet();
            }
            lastSeen[producer] = sequence;
            running.decrementAndGet();
            done.countDown();
        };
        List<Thread> threads = new ArrayList<>();
        for (int p = 1; p <= 2; p++) { // other threads: always through the queue
            int producer = p;
            Thread t = new Thread(() -> {
                for (int i = 1; i <= perProducer; i++) {
                    mailbox.execute(step.apply(producer, i));
                }
            });
            threads.add(t);
            t.start();
        }
        // The owner's own producer, as a publisher on the subscriber's loop: inline when it may.
        // One owner task at a time, as reads are, so the drains run in between; the other two
        // are done long before it, and the rest of its messages then go inline.
        for (int i = 1; i <= perProducer; i++) {
            int sequence = i;
            owner.submit(() -> {
                Runnable task = step.apply(0, sequence);
                if (mailbox.tryRunInline(task)) {
                    inline.incrementAndGet();
                } else {
                    mailbox.execute(task);
                }
            }).get();
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(overlaps.get()).isZero();
        assertThat(outOfOrder.get()).isZero();
        assertThat(inline.get()).isPositive();
    }
}
