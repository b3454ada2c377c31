package io.tern.app;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * How far the JIT's top-tier compiler (C2) is behind, so the warm-up can wait for it.
 *
 * <p>Why the warm-up paces itself by it: HotSpot raises the invocation count a method needs for
 * C2 with the length of C2's queue (Tier4LoadFeedback), and compiles new methods at a
 * non-profiling tier while the queue is long (Tier3DelayOn). On a broker pinned to one core,
 * the warm-up's traffic kept that queue at 7-14 tasks the whole time (-XX:+PrintTieredEvents),
 * so the connect path reached C2 only under the first real connection storm: about 80 C2
 * compiles in its first second, on the event loop's core. Waiting now and then until the queue
 * is short lets the compiles the warm-up asked for happen at the ordinary thresholds, while it
 * runs, rather than after.
 *
 * <p>Reads the queue with the {@code compilerQueue} diagnostic command (what
 * {@code jcmd PID Compiler.queue} prints). A JVM without it (no {@code jdk.management}, another
 * VM) reports no backlog, and the warm-up runs unpaced.
 */
final class JitBacklog {
    /**
     * The backlog the warm-up lets build up: under HotSpot's Tier3DelayOn (5 per C2 thread) new
     * methods still get a profiling tier, and the thresholds for C2 stay within twice the ordinary.
     */
    static final int PACE_LIMIT = 4;
    private static final long POLL_MILLIS = 5;

    private JitBacklog() {
    }

    /** C2 tasks queued or under way, or 0 if the JVM cannot tell. */
    static int c2Tasks() {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            String queue = (String) server.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "compilerQueue", new Object[] {null}, new String[] {String[].class.getName()});
            return countC2Tasks(queue);
        } catch (JMException | RuntimeException | LinkageError e) {
            return 0;
        }
    }

    /**
     * Counts the C2 lines of {@code Compiler.queue} output: "C2 CompilerThread0 ..." for a compile
     * under way, then the task lines under "C2 compile queue:" up to the next heading.
     */
    static int countC2Tasks(String compilerQueue) {
        int tasks = 0;
        boolean inC2Queue = false;
        for (String line : compilerQueue.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("C2 CompilerThread")) {
                tasks++;
            } else if (trimmed.endsWith("compile queue:")) {
                inC2Queue = trimmed.startsWith("C2");
            } else if (inC2Queue && !trimmed.isEmpty() && !trimmed.equals("Empty")) {
                tasks++;
            }
        }
        return tasks;
    }

    /** Waits until C2 is no more than {@link #PACE_LIMIT} tasks behind, or until the deadline. */
    static void pace(long deadlineNanos) throws InterruptedException {
        awaitBelow(PACE_LIMIT, deadlineNanos);
    }

    /** Waits until fewer than {@code limit} C2 tasks are pending, or until the deadline. */
    static void awaitBelow(int limit, long deadlineNanos) throws InterruptedException {
        while (c2Tasks() >= limit && System.nanoTime() < deadlineNanos) {
            TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
        }
    }
}
