package io.tern.core.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The subscription trie: one node per filter level, '+' and '#' as ordinary child keys.
 *
 * <p>Threading: {@link #match} takes no lock; it walks {@link ConcurrentHashMap}s and may miss
 * a subscription being added concurrently, which is the ordering MQTT allows. Mutations are
 * serialised by one writer lock, which is what makes empty-node pruning safe: a node is only
 * removed from its parent while no writer can be adding below it. The publish path never takes
 * that lock.
 *
 * @param <S> the subscriber (a session in the broker, a plain id in tests)
 */
public final class TopicTree<S> {

    /** One subscriber's subscription at a node. */
    public record Entry<S>(String clientId, S subscriber, Subscription subscription) {
    }

    /** Receives matches; shared groups yield one chosen member each. */
    @FunctionalInterface
    public interface MatchVisitor<S> {
        void visit(Entry<S> entry);
    }

    private final Node<S> root = new Node<>(null, "");
    private final Object writeLock = new Object();
    private final Predicate<S> online;
    private final AtomicInteger size = new AtomicInteger();

    /** @param online whether a subscriber is connected; shared groups prefer online members */
    public TopicTree(Predicate<S> online) {
        this.online = online;
    }

    /** Number of subscriptions held. */
    public int size() {
        return size.get();
    }

    /** Nodes below the root (for tests of pruning and diagnostics); walks the whole tree. */
    int nodeCount() {
        return countBelow(root);
    }

    private int countBelow(Node<S> node) {
        int count = 0;
        for (Node<S> child : node.children.values()) {
            count += 1 + countBelow(child);
        }
        return count;
    }

    /**
     * Adds or replaces the subscription of {@code clientId} to {@code subscription.topicFilter()}.
     *
     * @return true if it is new, false if it replaced one (needed for Retain Handling 1)
     */
    public boolean subscribe(String clientId, S subscriber, Subscription subscription) {
        Entry<S> entry = new Entry<>(clientId, subscriber, subscription);
        synchronized (writeLock) {
            Node<S> node = root;
            for (String level : Topics.levels(subscription.filter())) {
                node = node.child(level);
            }
            Entry<S> previous;
            if (subscription.isShared()) {
                previous = node.sharedGroup(subscription.shareGroup()).put(clientId, entry);
            } else {
                previous = node.putSubscriber(clientId, entry);
            }
            if (previous == null) {
                size.incrementAndGet();
                return true;
            }
            return false;
        }
    }

    /**
     * Removes the subscription of {@code clientId} to {@code topicFilter} (as sent, including a
     * share prefix), pruning nodes left empty.
     *
     * @return true if there was one
     */
    public boolean unsubscribe(String clientId, String topicFilter) {
        SharedFilter shared = SharedFilter.parse(topicFilter);
        String filter = shared == null ? topicFilter : shared.filter();
        synchronized (writeLock) {
            Node<S> node = root;
            for (String level : Topics.levels(filter)) {
                node = node.children.get(level);
                if (node == null) {
                    return false;
                }
            }
            boolean removed;
            if (shared == null) {
                removed = node.removeSubscriber(clientId);
            } else {
                removed = node.removeSharedMember(shared.group(), clientId);
            }
            if (removed) {
                size.decrementAndGet();
                prune(node);
            }
            return removed;
        }
    }

    private void prune(Node<S> node) {
        while (node.parent != null && node.isEmpty()) {
            node.parent.removeChild(node);
            node = node.parent;
        }
    }

    /**
     * Visits every subscription matching {@code topic}, one member per shared group. Allocates
     * one {@link LevelKey} per call and nothing per level: the levels are looked up as slices of
     * {@code topic}, never split into strings.
     */
    public void match(String topic, MatchVisitor<S> visitor) {
        // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$'.
        boolean dollarTopic = !topic.isEmpty() && topic.charAt(0) == '$';
        match(root, new LevelKey(topic), 0, dollarTopic, visitor);
    }

    /**
     * @param start where the level to match at {@code node}'s children begins in the topic; past
     *              the topic's end once every level has been matched (levels split as
     *              {@link Topics#levels}: "a/" has two, the second empty)
     */
    private void match(Node<S> node, LevelKey key, int start, boolean dollarTopic, MatchVisitor<S> visitor) {
        String topic = key.topic;
        boolean wildcardsAllowed = !(start == 0 && dollarTopic);
        if (wildcardsAllowed) {
            // "#" also matches the parent level itself: "a/#" matches "a" [MQTT-4.7.1-2].
            Node<S> multi = node.multiLevel;
            if (multi != null) {
                emit(multi, visitor);
            }
        }
        if (start > topic.length()) {
            emit(node, visitor);
            return;
        }
        int end = topic.indexOf('/', start);
        if (end < 0) {
            end = topic.length();
        }
        if (wildcardsAllowed) {
            Node<S> single = node.singleLevel;
            if (single != null) {
                match(single, key, end + 1, dollarTopic, visitor);
            }
        }
        // The key is shared down the recursion, so it is pointed at this level only now, after
        // the '+' branch has used it for the levels below.
        Node<S> exact = node.children.get(key.at(start, end));
        if (exact != null) {
            match(exact, key, end + 1, dollarTopic, visitor);
        }
    }

    /**
     * One level of a topic, as a lookup key for a children map without copying it into a String.
     * It equals a String with the same characters and hashes as that String does;
     * {@link java.util.Map#get} finds the mapping whose key {@code k} satisfies
     * {@code Objects.equals(key, k)}, that is, it asks this key, so the one-sided equality is all
     * a lookup needs. Never stored in a map.
     */
    static final class LevelKey {
        final String topic;
        private int start;
        private int length;
        private int hash;

        LevelKey(String topic) {
            this.topic = topic;
        }

        LevelKey at(int levelStart, int levelEnd) {
            start = levelStart;
            length = levelEnd - levelStart;
            int h = 0;
            for (int i = levelStart; i < levelEnd; i++) {
                h = 31 * h + topic.charAt(i);
            }
            hash = h;
            return this;
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof String level && level.length() == length
                    && topic.regionMatches(start, level, 0, length);
        }

        @Override
        public String toString() {
            return topic.substring(start, start + length);
        }
    }

    private void emit(Node<S> node, MatchVisitor<S> visitor) {
        Entry<S>[] snapshot = node.snapshot;
        if (snapshot != null) {
            for (Entry<S> entry : snapshot) {
                visitor.visit(entry);
            }
        } else {
            for (Entry<S> entry : node.subscribers.values()) {
                visitor.visit(entry);
            }
        }
        ConcurrentHashMap<String, SharedGroup<S>> groups = node.shared;
        if (groups != null) {
            for (SharedGroup<S> group : groups.values()) {
                Entry<S> chosen = group.choose(online);
                if (chosen != null) {
                    visitor.visit(chosen);
                }
            }
        }
    }

    private static final class Node<S> {
        static final int SNAPSHOT_LIMIT = 1024;
        static final Entry<?>[] EMPTY = new Entry<?>[0];

        final Node<S> parent;
        final String level;
        final ConcurrentHashMap<String, Node<S>> children = new ConcurrentHashMap<>(4);
        final ConcurrentHashMap<String, Entry<S>> subscribers = new ConcurrentHashMap<>(2);
        /**
         * The subscribers as one array, which a match reads in a few cache lines where walking the
         * map touches every map node: at a million subscriptions nearly every such touch is a
         * cache miss. Copied on write under the write lock, and the copy finds its slot by
         * identity, so a change costs a scan of contiguous references, not of the map. Kept up to
         * {@link #SNAPSHOT_LIMIT} subscribers (null above, where a match walks the map, and the
         * delivery work per subscriber dwarfs the walk anyway); rebuilt from the map once a node
         * shrinks to half the limit, so a node at the limit does not flap.
         */
        volatile Entry<S>[] snapshot = emptySnapshot();
        volatile ConcurrentHashMap<String, SharedGroup<S>> shared;
        /**
         * The "+" and "#" children, also in {@link #children}: every match asks for both at every
         * level, and a field read is one memory access where a map lookup is several (this is
         * what keeps a match against a million subscriptions cheap).
         */
        volatile Node<S> singleLevel;
        volatile Node<S> multiLevel;

        Node(Node<S> parent, String level) {
            this.parent = parent;
            this.level = level;
        }

        /** Under the tree's write lock. @return the entry replaced, or null */
        Entry<S> putSubscriber(String clientId, Entry<S> entry) {
            Entry<S> previous = subscribers.put(clientId, entry);
            Entry<S>[] current = snapshot;
            if (current == null) {
                return previous;
            }
            if (previous != null) {
                Entry<S>[] copy = current.clone();
                copy[indexOf(current, previous)] = entry;
                snapshot = copy;
            } else if (current.length < SNAPSHOT_LIMIT) {
                Entry<S>[] copy = Arrays.copyOf(current, current.length + 1);
                copy[current.length] = entry;
                snapshot = copy;
            } else {
                snapshot = null;
            }
            return previous;
        }

        /** Under the tree's write lock. */
        @SuppressWarnings("unchecked")
        boolean removeSubscriber(String clientId) {
            Entry<S> removed = subscribers.remove(clientId);
            if (removed == null) {
                return false;
            }
            Entry<S>[] current = snapshot;
            if (current != null) {
                int index = indexOf(current, removed);
                Entry<S>[] copy = Arrays.copyOf(current, current.length - 1);
                System.arraycopy(current, index + 1, copy, index, current.length - index - 1);
                snapshot = copy;
            } else if (subscribers.size() <= SNAPSHOT_LIMIT / 2) {
                snapshot = subscribers.values().toArray(new Entry[0]);
            }
            return true;
        }

        private static <S> int indexOf(Entry<S>[] entries, Entry<S> wanted) {
            for (int i = 0; i < entries.length; i++) {
                if (entries[i] == wanted) {
                    return i;
                }
            }
            throw new IllegalStateException("subscriber array out of step with its map");
        }

        @SuppressWarnings("unchecked")
        private static <S> Entry<S>[] emptySnapshot() {
            return (Entry<S>[]) EMPTY;
        }

        /** Under the tree's write lock. */
        Node<S> child(String childLevel) {
            Node<S> child = children.computeIfAbsent(childLevel, l -> new Node<>(this, l));
            if (childLevel.equals("+")) {
                singleLevel = child;
            } else if (childLevel.equals("#")) {
                multiLevel = child;
            }
            return child;
        }

        /** Under the tree's write lock. */
        void removeChild(Node<S> child) {
            children.remove(child.level, child);
            if (singleLevel == child) {
                singleLevel = null;
            } else if (multiLevel == child) {
                multiLevel = null;
            }
        }

        SharedGroup<S> sharedGroup(String group) {
            if (shared == null) {
                shared = new ConcurrentHashMap<>(2);
            }
            return shared.computeIfAbsent(group, g -> new SharedGroup<>());
        }

        boolean removeSharedMember(String group, String clientId) {
            ConcurrentHashMap<String, SharedGroup<S>> groups = shared;
            if (groups == null) {
                return false;
            }
            SharedGroup<S> sharedGroup = groups.get(group);
            if (sharedGroup == null || sharedGroup.remove(clientId) == null) {
                return false;
            }
            if (sharedGroup.isEmpty()) {
                groups.remove(group, sharedGroup);
            }
            return true;
        }

        boolean isEmpty() {
            ConcurrentHashMap<String, SharedGroup<S>> groups = shared;
            return children.isEmpty() && subscribers.isEmpty() && (groups == null || groups.isEmpty());
        }
    }

    /**
     * Members of one {@code $share/group/filter}; each message goes to one member, round robin,
     * preferring members that are online [MQTT-4.8.2-?]. Members change rarely, so the chooser
     * reads a copy-on-write array (mutated only under the tree's writer lock).
     */
    private static final class SharedGroup<S> {
        private final ConcurrentHashMap<String, Entry<S>> members = new ConcurrentHashMap<>();
        private volatile List<Entry<S>> snapshot = List.of();
        private final AtomicInteger next = new AtomicInteger();

        Entry<S> put(String clientId, Entry<S> entry) {
            Entry<S> previous = members.put(clientId, entry);
            snapshot = new ArrayList<>(members.values());
            return previous;
        }

        Entry<S> remove(String clientId) {
            Entry<S> previous = members.remove(clientId);
            snapshot = new ArrayList<>(members.values());
            return previous;
        }

        boolean isEmpty() {
            return members.isEmpty();
        }

        Entry<S> choose(Predicate<S> online) {
            List<Entry<S>> current = snapshot;
            int count = current.size();
            if (count == 0) {
                return null;
            }
            // Each skipped offline member consumes a turn, so online members share evenly.
            int index = 0;
            for (int attempt = 0; attempt < count; attempt++) {
                index = Math.floorMod(next.getAndIncrement(), count);
                Entry<S> candidate = current.get(index);
                if (online.test(candidate.subscriber())) {
                    return candidate;
                }
            }
            // Nobody online: queue for one member so that QoS 1/2 messages are not lost.
            return current.get(index);
        }
    }
}
