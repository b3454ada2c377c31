package io.tern.bench;

import io.netty.buffer.ByteBuf;
import org.HdrHistogram.Histogram;

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
        latencyMicros.recordValue(Math.max(0, Math.min((now - Payloads.sentAt(payload)) / 1000, 59_999_999L)));
    }

    /** Distinct messages received from {@code publisher}. */
    long unique(int publisher) {
        BitSet bits = seen.get(publisher);
        return bits == null ? 0 : bits.cardinality();
    }
}
