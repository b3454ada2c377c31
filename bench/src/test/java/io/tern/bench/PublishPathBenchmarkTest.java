package io.tern.bench;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-message benchmark measures what it says in both input modes: every call publishes, and
 * the subscribers write the same bytes whether the PUBLISH came decoded or as bytes. No timing.
 */
class PublishPathBenchmarkTest {

    @Test
    void bothInputsCarryEveryPublishToEverySubscriber() {
        for (int qos : new int[] {0, 1}) {
            int decoded = bytesPerCall(qos, "decoded");
            int fromBytes = bytesPerCall(qos, "bytes");
            // The PUBACK to the publisher, then each subscriber's PUBLISH (64-byte payload).
            assertThat(decoded).as("qos %d", qos).isGreaterThan(3 * 64);
            assertThat(fromBytes).as("qos %d", qos).isEqualTo(decoded);
        }
    }

    /** Bytes written per call, the same for each of many calls (packet ids wrap past 65,535). */
    private static int bytesPerCall(int qos, String input) {
        PublishPathBenchmark benchmark = new PublishPathBenchmark();
        benchmark.qos = qos;
        benchmark.subscribers = 3;
        benchmark.input = input;
        benchmark.connect();
        try {
            int first = benchmark.publish();
            for (int i = 0; i < 70_000; i++) {
                assertThat(benchmark.publish()).as("call %d, qos %d, %s", i, qos, input).isEqualTo(first);
            }
            return first;
        } finally {
            benchmark.close();
        }
    }
}
