package io.tern.core.session;

import io.tern.core.message.Message;
import io.tern.core.message.QoS;

import java.util.ArrayList;
import java.util.List;

/** Collects the retained messages a new subscription receives and hands them to the session. */
public final class RetainedDelivery {
    private final List<Delivery> deliveries = new ArrayList<>();
    private final QoS grantedQos;
    private final List<Integer> subscriptionIds;

    public RetainedDelivery(QoS grantedQos, int subscriptionIdentifier) {
        this.grantedQos = grantedQos;
        this.subscriptionIds = subscriptionIdentifier > 0 ? List.of(subscriptionIdentifier) : List.of();
    }

    /** [MQTT-3.3.1-8] messages sent because of a new subscription keep the retain flag. */
    public void add(Message retained) {
        deliveries.add(new Delivery(retained.withQos(QoS.min(retained.qos(), grantedQos)).withRetain(true),
                subscriptionIds));
    }

    public int size() {
        return deliveries.size();
    }

    /** Queues them behind whatever the caller is doing on the owner (the SUBACK goes first). */
    public void sendTo(Session session) {
        if (!deliveries.isEmpty()) {
            session.deliverAll(List.copyOf(deliveries));
        }
    }
}
