package io.tern.netty;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/** Reading channel attributes without adding them. */
public final class ChannelAttributes {
    private ChannelAttributes() {
    }

    /**
     * The value of {@code key} on {@code channel}, or null. {@code channel.attr(key).get()} would
     * add an empty attribute to the channel's map (24 bytes and a larger array, per connection)
     * for a key most connections never set.
     */
    public static <T> T peek(Channel channel, AttributeKey<T> key) {
        return channel.hasAttr(key) ? channel.attr(key).get() : null;
    }
}
