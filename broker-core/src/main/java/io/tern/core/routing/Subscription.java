package io.tern.core.routing;

/**
 * One subscription of one session.
 *
 * @param topicFilter   the filter as the client sent it, including any {@code $share/group/} prefix
 * @param filter        the filter matched against topics (without the share prefix)
 * @param shareGroup    the shared-subscription group, or null
 * @param subscriptionIdentifier the v5 Subscription Identifier, 0 for none
 */
public record Subscription(
        String topicFilter,
        String filter,
        String shareGroup,
        SubscriptionOptions options,
        int subscriptionIdentifier) {

    public static Subscription of(String topicFilter, SubscriptionOptions options, int subscriptionIdentifier) {
        SharedFilter shared = SharedFilter.parse(topicFilter);
        if (shared != null) {
            return new Subscription(topicFilter, shared.filter(), shared.group(), options, subscriptionIdentifier);
        }
        return new Subscription(topicFilter, topicFilter, null, options, subscriptionIdentifier);
    }

    public boolean isShared() {
        return shareGroup != null;
    }
}
