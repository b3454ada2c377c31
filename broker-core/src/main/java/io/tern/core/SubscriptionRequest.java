package io.tern.core;

import io.tern.core.routing.SubscriptionOptions;

/**
 * One filter of a SUBSCRIBE.
 *
 * @param topicFilter            as sent, including any {@code $share/group/} prefix
 * @param subscriptionIdentifier the v5 Subscription Identifier, 0 for none
 */
public record SubscriptionRequest(String topicFilter, SubscriptionOptions options, int subscriptionIdentifier) {
}
