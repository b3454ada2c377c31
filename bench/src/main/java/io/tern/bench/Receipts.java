package io.tern.bench;

import io.netty.buffer.ByteBuf;
import org.HdrHistogram.Histogram;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * What one subscriber received, kept on its event loop (no locking): per publisher a bit set of
 * sequence numbers for exact loss and duplicate counts, the last sequence for reordering, and a
 * latency histogram.
 */
final class Receipts {
    private final Map<Integer, BitSet> seen = new HashMap<>();
    private final Map<Integer, Long> last = new HashMap<>();
    final Histogram latencyMicros = new Histogram(60_000_000L, 3);
    long received;
    long duplicates;
    long outOfOrder;
    /** Send time and latency (ns) of each message, in arrival order, once {@link #keepLatencies} is called. */
    private long[] sentAt;
    private long[] latencies;
    private int kept;

    void accept(ByteBuf payload) {
        long now = System.nanoTime();
        received++;
        if (payload.readableBytes() < Payloads.HEADER) {
            return;
        }
        int publisher = Payloads.publisher(payload);
        long sequence = Payloads.sequence(payload);
        BitSet bits = seen.computeIfAbsent(publisher, p -> new BitSet());
        if (sequence > Integer.MAX_VALUE || bits.get((int) sequence)) {
            duplicates++;
            return;
        }
        bits.set((int) sequence);
        Long previous = last.get(publisher);
        if (previous != null && sequence < previous) {
            outOfOrder++;
        } else {
            last.put(publisher, sequence);
        }
        long sent = Payloads.sentAt(payload);
        latencyMicros.recordValue(Math.max(0, Math.min((now - sent) / 1000, 59_999_999L)));
        if (sentAt != null) {
            if (kept == sentAt.length) {
                sentAt = Arrays.copyOf(sentAt, kept * 2);
                latencies = Arrays.copyOf(latencies, kept * 2);
            }
            sentAt[kept] = sent;
            latencies[kept++] = now - sent;
        }
    }

    void keepLatencies() {
        sentAt = new long[1 << 14];
        latencies = new long[1 << 14];
    }

    /** One line per kept message: its send time after {@code originNanos} and its latency, in µs. */
    void writeLatencies(PrintWriter out, long originNanos) {
        for (int i = 0; i < kept; i++) {
            out.println((sentAt[i] - originNanos) / 1000 + " " + latencies[i] / 1000);
        }
    }

    /** Distinct messages received from {@code publisher}. */
    long unique(int publisher) {
        BitSet bits = seen.get(publisher);
        return bits == null ? 0 : bits.cardinality();
    }
}
