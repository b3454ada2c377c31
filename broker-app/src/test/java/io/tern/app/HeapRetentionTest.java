package io.tern.app;

import com.sun.management.HotSpotDiagnosticMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

class HeapRetentionTest {

    @Test
    void keepsTheHeapUnlessTheRatioWasSetAndThenLeavesItAlone() {
        HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String before = hotSpot.getVMOption(HeapRetention.FLAG).getValue();
        boolean wasDefault = hotSpot.getVMOption(HeapRetention.FLAG).getOrigin()
                == com.sun.management.VMOption.Origin.DEFAULT;
        try {
            assertThat(HeapRetention.keepGrownHeap()).isEqualTo(wasDefault);
            if (wasDefault) {
                assertThat(HeapRetention.isHeapKept()).isTrue();
                HeapRetention.collectWarmUpGarbage(); // a full collection, and the heap is still there
                assertThat(hotSpot.getVMOption(HeapRetention.FLAG).getValue()).isEqualTo(HeapRetention.KEEP);
            }
            // Now set (by us or on the command line): a second call changes nothing.
            hotSpot.setVMOption(HeapRetention.FLAG, "80");
            assertThat(HeapRetention.keepGrownHeap()).isFalse();
            assertThat(HeapRetention.isHeapKept()).isFalse();
        } finally {
            hotSpot.setVMOption(HeapRetention.FLAG, before);
        }
    }
}
