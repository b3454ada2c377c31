package io.tern.core.storage;

import io.tern.core.message.Message;

import java.util.function.Consumer;

/**
 * Retained messages, one per topic name.
 *
 * <p>Threading contract: every method may be called concurrently from any thread (publishers
 * on event loops, sessions' owner threads). Implementations must not block for long on
 * {@link #put}/{@link #remove}: they run on the publish path.
 */
public interface RetainedMessageStore {

    /** Stores {@code message} as the retained message of its topic, replacing any previous one. */
    void put(Message message);

    /** Deletes the retained message of {@code topic} (a retained publish with an empty payload). */
    void remove(String topic);

    /**
     * Visits the retained messages whose topics match {@code filter} (no share prefix),
     * honouring the '$' rule [MQTT-4.7.2-1]. Expired messages are skipped.
     */
    void match(String filter, long nowMillis, Consumer<Message> visitor);

    /** Number of retained messages. */
    int size();
}
