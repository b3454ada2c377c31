package io.tern.app;

import io.netty.util.ResourceLeakDetector;

/**
 * Turns Netty's buffer leak detector off in the daemon, unless the operator asked for a level.
 *
 * <p>Why: at Netty's default level (SIMPLE) one buffer allocation in 128 records where it was
 * made, a stack trace ({@code Throwable.fillInStackTrace} under {@code ResourceLeakDetector
 * .TraceRecord}, seen with {@code perf} on the event loop). At 1,000 msg/s on one core that put
 * tens of microseconds into about one message in a hundred: the broker's share of QoS 1 latency
 * had a p99 of 147-171 µs with it and 97-107 µs without (Mosquitto 82-117), measured on the wire.
 * The tests keep Netty's default, where a leak is worth the cost of finding it;
 * {@code -Dio.netty.leakDetection.level=paranoid} does the same for a running daemon.
 */
final class NettyLeakDetection {
    static final String PROPERTY = "io.netty.leakDetection.level";
    /** The name older Netty versions read, still honoured by Netty 4.2. */
    static final String LEGACY_PROPERTY = "io.netty.leakDetectionLevel";

    private NettyLeakDetection() {
    }

    /** Disables the detector unless a level was given on the command line; returns whether it did. */
    static boolean turnOffUnlessAsked() {
        if (System.getProperty(PROPERTY) != null || System.getProperty(LEGACY_PROPERTY) != null) {
            return false;
        }
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        return true;
    }
}
