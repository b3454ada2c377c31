package io.tern.core.storage;

import io.tern.core.message.Message;
import io.tern.core.routing.Topics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Retained messages in a trie keyed by topic level, so a subscription walks only the branches
 * its filter can match instead of scanning every retained topic. Lock-free reads; writers
 * serialise on one lock only to keep pruning safe.
 */
public final class InMemoryRetainedStore implements RetainedMessageStore {

    private final Node root = new Node();
    private final Object writeLock = new Object();
    private final AtomicInteger size = new AtomicInteger();

    @Override
    public void put(Message message) {
        synchronized (writeLock) {
            Node node = root;
            for (String level : Topics.levels(message.topic())) {
                node = node.children.computeIfAbsent(level, l -> new Node());
            }
            if (node.message == null) {
                size.incrementAndGet();
            }
            node.message = message;
        }
    }

    @Override
    public void remove(String topic) {
        synchronized (writeLock) {
            Node node = root;
            for (String level : Topics.levels(topic)) {
                node = node.children.get(level);
                if (node == null) {
                    return;
                }
            }
            if (node.message != null) {
                node.message = null;
                size.decrementAndGet();
            }
            prune(topic);
        }
    }

    private void prune(String topic) {
        String[] levels = Topics.levels(topic);
        Node[] path = new Node[levels.length + 1];
        path[0] = root;
        for (int i = 0; i < levels.length; i++) {
            path[i + 1] = path[i].children.get(levels[i]);
            if (path[i + 1] == null) {
                return;
            }
        }
        for (int i = levels.length; i > 0; i--) {
            Node node = path[i];
            if (node.message != null || !node.children.isEmpty()) {
                return;
            }
            path[i - 1].children.remove(levels[i - 1], node);
        }
    }

    @Override
    public void match(String filter, long nowMillis, Consumer<Message> visitor) {
        String[] levels = Topics.levels(filter);
        match(root, levels, 0, nowMillis, visitor);
    }

    private void match(Node node, String[] levels, int index, long now, Consumer<Message> visitor) {
        if (index == levels.length) {
            emit(node, now, visitor);
            return;
        }
        String level = levels[index];
        if (level.equals("#")) {
            // "a/#" matches "a" itself and everything below it.
            if (index > 0) {
                emit(node, now, visitor);
            }
            for (var child : node.children.entrySet()) {
                if (index == 0 && child.getKey().startsWith("$")) {
                    continue; // [MQTT-4.7.2-1]
                }
                emitSubtree(child.getValue(), now, visitor);
            }
        } else if (level.equals("+")) {
            for (var child : node.children.entrySet()) {
                if (index == 0 && child.getKey().startsWith("$")) {
                    continue; // [MQTT-4.7.2-1]
                }
                match(child.getValue(), levels, index + 1, now, visitor);
            }
        } else {
            Node child = node.children.get(level);
            if (child != null) {
                match(child, levels, index + 1, now, visitor);
            }
        }
    }

    private void emitSubtree(Node node, long now, Consumer<Message> visitor) {
        emit(node, now, visitor);
        for (Node child : node.children.values()) {
            emitSubtree(child, now, visitor);
        }
    }

    private void emit(Node node, long now, Consumer<Message> visitor) {
        Message message = node.message;
        if (message != null && !message.isExpired(now)) {
            visitor.accept(message);
        }
    }

    @Override
    public int size() {
        return size.get();
    }

    private static final class Node {
        final ConcurrentHashMap<String, Node> children = new ConcurrentHashMap<>(4);
        volatile Message message;
    }
}
