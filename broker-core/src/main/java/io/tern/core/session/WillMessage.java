package io.tern.core.session;

import io.tern.core.message.Message;

/**
 * A will: published when the connection closes without a normal DISCONNECT [MQTT-3.1.2-8].
 *
 * @param delaySeconds          v5 Will Delay Interval
 * @param expiryIntervalSeconds v5 Message Expiry Interval of the will, counted from when it is
 *                              published, or null
 */
public record WillMessage(Message message, long delaySeconds, Long expiryIntervalSeconds) {

    /** The message to publish now, with its expiry deadline fixed. */
    Message toPublish(long nowMillis) {
        if (expiryIntervalSeconds == null) {
            return message;
        }
        return new Message(message.topic(), message.payload(), message.qos(), message.retain(),
                message.properties(), Message.expiryDeadline(nowMillis, expiryIntervalSeconds));
    }
}
