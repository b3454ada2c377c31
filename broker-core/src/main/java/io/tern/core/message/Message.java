package io.tern.core.message;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * An application message as the broker routes it, whatever protocol it came from.
 * The payload is copied at the protocol edge and never mutated afterwards, so one instance is
 * shared by every delivery of a fan-out.
 *
 * @param expiresAtMillis epoch millis after which the message must not be delivered
 *                        [MQTT-3.3.2-5]; {@link #NEVER_EXPIRES} for no expiry
 */
public record Message(
        String topic,
        byte[] payload,
        QoS qos,
        boolean retain,
        MessageProperties properties,
        long expiresAtMillis) {

    public static final long NEVER_EXPIRES = Long.MAX_VALUE;

    public Message {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(qos, "qos");
        properties = properties == null ? MessageProperties.NONE : properties;
    }

    public static Message of(String topic, byte[] payload, QoS qos, boolean retain) {
        return new Message(topic, payload, qos, retain, MessageProperties.NONE, NEVER_EXPIRES);
    }

    /** Expiry deadline for a message received now with the given Message Expiry Interval. */
    public static long expiryDeadline(long nowMillis, Long expiryIntervalSeconds) {
        if (expiryIntervalSeconds == null) {
            return NEVER_EXPIRES;
        }
        return nowMillis + expiryIntervalSeconds * 1000L;
    }

    public boolean expires() {
        return expiresAtMillis != NEVER_EXPIRES;
    }

    public boolean isExpired(long nowMillis) {
        return expires() && nowMillis >= expiresAtMillis;
    }

    /**
     * The same, reading the clock only for a message that can expire: most never do, and a read
     * of the wall clock per delivery was a measurable part of a fan-out.
     */
    public boolean isExpired(LongSupplier clock) {
        return expires() && clock.getAsLong() >= expiresAtMillis;
    }

    /**
     * The interval to forward: the received interval less the time spent in the broker
     * [MQTT-3.3.2-6], rounded up so that a live message never claims 0 seconds.
     */
    public long remainingExpirySeconds(long nowMillis) {
        long remainingMillis = Math.max(0, expiresAtMillis - nowMillis);
        return (remainingMillis + 999) / 1000;
    }

    public Message withRetain(boolean newRetain) {
        return newRetain == retain ? this : new Message(topic, payload, qos, newRetain, properties, expiresAtMillis);
    }

    public Message withQos(QoS newQos) {
        return newQos == qos ? this : new Message(topic, payload, newQos, retain, properties, expiresAtMillis);
    }
}
