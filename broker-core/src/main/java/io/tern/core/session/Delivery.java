package io.tern.core.session;

import io.tern.core.message.Message;

import java.util.List;

/**
 * A message on its way to one session: QoS already downgraded to the subscription's maximum
 * [MQTT-3.8.4-8] and the retain flag already set as the subscription asks.
 */
record Delivery(Message message, List<Integer> subscriptionIdentifiers) {

    long sizeEstimate() {
        return message.payload().length + message.topic().length() + 64L;
    }
}
