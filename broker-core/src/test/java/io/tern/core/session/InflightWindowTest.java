package io.tern.core.session;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/** The window against the {@code LinkedHashMap} it replaced, on random operation sequences. */
class InflightWindowTest {

    static final class TestEntry extends InflightWindow.Entry {
        TestEntry(int packetId) {
            super(packetId);
        }
    }

    /** Operation kind (add, remove, get, iterate removing every few) and a packet id. */
    record Op(int kind, int packetId) {
    }

    private static Gen<Op> ops() {
        // Ids from a small range collide in the table and come back after removal; some from the
        // whole range, and ids that share their low bits, probe past each other.
        Gen<Integer> ids = integers().between(0, 9).zip(integers().between(1, 65_535), integers().between(1, 48),
                (pick, any, small) -> pick == 0 ? any : pick == 1 ? (small * 64) % 65_536 : small);
        return integers().between(0, 9).zip(ids, (kind, id) -> new Op(kind < 5 ? 0 : kind < 8 ? 1 : kind < 9 ? 2 : 3, id));
    }

    @Test
    void behavesLikeAnInsertionOrderedMap() {
        qt().withExamples(2_000).forAll(lists().of(ops()).ofSizeBetween(0, 300)).checkAssert(operations -> {
            InflightWindow<TestEntry> window = new InflightWindow<>();
            Map<Integer, TestEntry> model = new LinkedHashMap<>();
            for (Op op : operations) {
                switch (op.kind()) {
                    case 0 -> {
                        if (!model.containsKey(op.packetId())) {
                            TestEntry entry = new TestEntry(op.packetId());
                            window.add(entry);
                            model.put(op.packetId(), entry);
                        }
                    }
                    case 1 -> assertThat(window.remove(op.packetId())).isSameAs(model.remove(op.packetId()));
                    case 2 -> assertThat(window.get(op.packetId())).isSameAs(model.get(op.packetId()));
                    default -> {
                        int every = 1 + op.packetId() % 3;
                        int index = 0;
                        for (Iterator<TestEntry> it = window.iterator(); it.hasNext(); index++) {
                            TestEntry entry = it.next();
                            if (index % every == 0) {
                                it.remove();
                                model.remove(entry.packetId);
                            }
                        }
                    }
                }
                assertThat(window.size()).isEqualTo(model.size());
                assertThat(window.isEmpty()).isEqualTo(model.isEmpty());
            }
            List<TestEntry> inOrder = new ArrayList<>();
            window.forEach(inOrder::add);
            assertThat(inOrder).containsExactlyElementsOf(model.values());
            for (Map.Entry<Integer, TestEntry> entry : model.entrySet()) {
                assertThat(window.containsKey(entry.getKey())).isTrue();
                assertThat(window.get(entry.getKey())).isSameAs(entry.getValue());
            }
        });
    }

    @Test
    void holdsAFullWindowOfPacketIdsAndWrapsAround() {
        InflightWindow<TestEntry> window = new InflightWindow<>();
        for (int id = 1; id <= 65_535; id++) {
            window.add(new TestEntry(id));
        }
        assertThat(window.size()).isEqualTo(65_535);
        assertThat(window.get(65_535).packetId).isEqualTo(65_535);
        // Acknowledged oldest first, and the ids used again, as a session's window turns over.
        for (int id = 1; id <= 65_535; id++) {
            assertThat(window.remove(id).packetId).isEqualTo(id);
            window.add(new TestEntry(id));
        }
        assertThat(window.iterator().next().packetId).isEqualTo(1);
        assertThat(window.size()).isEqualTo(65_535);
    }

    @Test
    void refusesAnIdAlreadyInFlight() {
        InflightWindow<TestEntry> window = new InflightWindow<>();
        window.add(new TestEntry(7));
        assertThatThrownBy(() -> window.add(new TestEntry(7))).isInstanceOf(IllegalStateException.class);
        assertThat(window.size()).isEqualTo(1);
    }

    @Test
    void anIteratorNoticesChangesMadeAroundIt() {
        InflightWindow<TestEntry> window = new InflightWindow<>();
        window.add(new TestEntry(1));
        window.add(new TestEntry(2));
        Iterator<TestEntry> it = window.iterator();
        it.next();
        window.remove(2);
        assertThatThrownBy(it::remove).isInstanceOf(ConcurrentModificationException.class);
    }

    @Test
    void anEmptyWindowHasNothingToFindOrRemove() {
        InflightWindow<TestEntry> window = new InflightWindow<>();
        assertThat(window.get(1)).isNull();
        assertThat(window.remove(1)).isNull();
        assertThat(window.iterator().hasNext()).isFalse();
    }
}
