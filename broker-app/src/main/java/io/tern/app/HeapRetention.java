package io.tern.app;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;

import java.lang.management.ManagementFactory;
import java.util.function.Predicate;

/**
 * Keeps the heap the daemon has grown to, and clears the warm-up's garbage before clients come.
 *
 * <p>Why: G1 gives heap back to the OS at the end of a concurrent cycle when more than
 * {@code MaxHeapFreeRatio} (70%) of it is free. The warm-up loads enough classes to cross the
 * Metaspace threshold, which starts such a cycle: near the warm-up's end it cut the heap from 468
 * to 96 MB, and the first storm of 19,000 connects then ran into three or four young collections
 * of 22-54 ms each while the heap grew back; in other runs the cycle fell inside the storm (a
 * 60-80 ms pause). With the heap kept, as servers with {@code -Xms} = {@code -Xmx} have it, one
 * collection after the warm-up (which also moves the Metaspace threshold up) leaves the eden the
 * warm-up touched free for the clients: no collection during the storm, and no new resident pages.
 *
 * <p>A {@code -XX:MaxHeapFreeRatio} given on the command line is left as it is.
 */
final class HeapRetention {
    static final String FLAG = "MaxHeapFreeRatio";
    static final String KEEP = "100";

    private HeapRetention() {
    }

    /** Sets MaxHeapFreeRatio to 100 unless it was set explicitly; returns whether it did. */
    static boolean keepGrownHeap() {
        return withHotSpot(hotSpot -> {
            if (hotSpot.getVMOption(FLAG).getOrigin() != VMOption.Origin.DEFAULT) {
                return false;
            }
            hotSpot.setVMOption(FLAG, KEEP);
            return true;
        });
    }

    static boolean isHeapKept() {
        return withHotSpot(hotSpot -> KEEP.equals(hotSpot.getVMOption(FLAG).getValue()));
    }

    /** False on another VM, or when the flag cannot be read or written. */
    private static boolean withHotSpot(Predicate<HotSpotDiagnosticMXBean> action) {
        try {
            HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return hotSpot != null && action.test(hotSpot);
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * One full collection after the warm-up, when it cannot shrink the heap. Without the heap
     * kept it would (to about 130 MB), and the first clients would pay for growing it back.
     */
    static void collectWarmUpGarbage() {
        if (isHeapKept()) {
            System.gc();
        }
    }
}
