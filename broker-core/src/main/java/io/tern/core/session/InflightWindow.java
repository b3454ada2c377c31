package io.tern.core.session;

import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A session's outbound messages in flight, by packet id, in the order they were sent: what a
 * {@code LinkedHashMap<Integer, E>} did, without its boxed key and its entry per QoS 1/2 delivery.
 * The entries themselves carry the packet id and the links of the sending order; the table is open
 * addressing on the id (ids are mostly consecutive, so the id itself spreads them), with linear
 * probing and deletion by shifting back, at most half full.
 *
 * <p>Owned by the session's thread, like the rest of the outbox.
 */
final class InflightWindow<E extends InflightWindow.Entry> implements Iterable<E> {

    /** What a window holds: the packet id, and the links of the sending order. */
    abstract static class Entry {
        final int packetId;
        private Entry previous;
        private Entry next;

        Entry(int packetId) {
            this.packetId = packetId;
        }
    }

    private static final int FIRST_CAPACITY = 16;

    private Entry[] table;
    private int size;
    private Entry oldest;
    private Entry newest;
    private int modifications;

    /** Empty and without a table until the first {@link #add}. */
    InflightWindow() {
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    boolean containsKey(int packetId) {
        return get(packetId) != null;
    }

    @SuppressWarnings("unchecked")
    E get(int packetId) {
        return table == null ? null : (E) table[slotOf(packetId, table)];
    }

    /** The slot of {@code packetId} in {@code in}, or the empty slot where it would go. */
    private static int slotOf(int packetId, Entry[] in) {
        int mask = in.length - 1;
        int slot = packetId & mask;
        while (in[slot] != null && in[slot].packetId != packetId) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** Adds {@code entry} as the newest; its packet id must not be in flight already. */
    void add(E entry) {
        if (table == null) {
            table = new Entry[FIRST_CAPACITY];
        } else if ((size + 1) * 2 > table.length) {
            grow();
        }
        int slot = slotOf(entry.packetId, table);
        if (table[slot] != null) {
            throw new IllegalStateException("packet id " + entry.packetId + " is already in flight");
        }
        Entry node = entry; // its links are private to Entry, not reachable through E
        table[slot] = node;
        node.previous = newest;
        node.next = null;
        if (newest == null) {
            oldest = node;
        } else {
            newest.next = node;
        }
        newest = node;
        size++;
        modifications++;
    }

    /** Removes and returns the entry for {@code packetId}, or null. */
    @SuppressWarnings("unchecked")
    E remove(int packetId) {
        if (table == null) {
            return null;
        }
        int slot = slotOf(packetId, table);
        Entry entry = table[slot];
        if (entry == null) {
            return null;
        }
        clearSlot(slot);
        unlink(entry);
        size--;
        modifications++;
        return (E) entry;
    }

    /** Empties {@code slot} and shifts back the entries after it that probed past it. */
    private void clearSlot(int slot) {
        int mask = table.length - 1;
        int free = slot;
        for (int next = (free + 1) & mask; table[next] != null; next = (next + 1) & mask) {
            int home = table[next].packetId & mask;
            // The entry at next may move to free unless its home lies cyclically in (free, next].
            boolean homeBetween = free <= next ? free < home && home <= next : free < home || home <= next;
            if (!homeBetween) {
                table[free] = table[next];
                free = next;
            }
        }
        table[free] = null;
    }

    private void unlink(Entry entry) {
        if (entry.previous == null) {
            oldest = entry.next;
        } else {
            entry.previous.next = entry.next;
        }
        if (entry.next == null) {
            newest = entry.previous;
        } else {
            entry.next.previous = entry.previous;
        }
        entry.previous = null;
        entry.next = null;
    }

    private void grow() {
        Entry[] old = table;
        table = new Entry[old.length * 2];
        for (Entry entry : old) {
            if (entry != null) {
                table[slotOf(entry.packetId, table)] = entry;
            }
        }
    }

    /** Oldest first; {@link Iterator#remove} removes the entry just returned. */
    @Override
    public Iterator<E> iterator() {
        return new Iterator<>() {
            private Entry upcoming = oldest;
            private Entry returned;
            private int expectedModifications = modifications;

            @Override
            public boolean hasNext() {
                return upcoming != null;
            }

            @Override
            @SuppressWarnings("unchecked")
            public E next() {
                if (modifications != expectedModifications) {
                    throw new ConcurrentModificationException();
                }
                if (upcoming == null) {
                    throw new NoSuchElementException();
                }
                returned = upcoming;
                upcoming = upcoming.next;
                return (E) returned;
            }

            @Override
            public void remove() {
                if (returned == null) {
                    throw new IllegalStateException();
                }
                if (modifications != expectedModifications) {
                    throw new ConcurrentModificationException();
                }
                InflightWindow.this.remove(returned.packetId);
                returned = null;
                expectedModifications = modifications;
            }
        };
    }
}
