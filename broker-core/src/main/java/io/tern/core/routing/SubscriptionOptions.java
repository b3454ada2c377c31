package io.tern.core.routing;

import io.tern.core.message.QoS;

/** Subscription options; MQTT 3 subscriptions use {@link #of(QoS)}. */
public record SubscriptionOptions(
        QoS maxQos,
        boolean noLocal,
        boolean retainAsPublished,
        RetainHandling retainHandling) {

    public static SubscriptionOptions of(QoS maxQos) {
        return new SubscriptionOptions(maxQos, false, false, RetainHandling.SEND_ON_SUBSCRIBE);
    }

    public SubscriptionOptions withMaxQos(QoS qos) {
        return new SubscriptionOptions(qos, noLocal, retainAsPublished, retainHandling);
    }
}
