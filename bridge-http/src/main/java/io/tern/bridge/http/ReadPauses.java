package io.tern.bridge.http;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.tern.netty.ChannelAttributes;

/**
 * The reasons a connection is not being read from: a password check or a store write that later
 * requests wait behind, a subscriber that is not keeping up, a client that is not reading its
 * responses. Reading resumes when the last one ends, so one ending does not undo another (each
 * used to set auto-read on its own). Event loop only; made for a connection when first paused.
 */
final class ReadPauses {
    private static final AttributeKey<ReadPauses> KEY = AttributeKey.valueOf("tern.http.read-pauses");

    private int pauses;
    private boolean pausedForResponses;

    private ReadPauses() {
    }

    private static ReadPauses of(Channel channel) {
        ReadPauses existing = ChannelAttributes.peek(channel, KEY);
        if (existing != null) {
            return existing;
        }
        ReadPauses made = new ReadPauses();
        channel.attr(KEY).set(made);
        return made;
    }

    /** Stops reading until a matching {@link #resume}. */
    static void pause(Channel channel) {
        ReadPauses state = of(channel);
        if (++state.pauses == 1) {
            channel.config().setAutoRead(false);
        }
    }

    /** Ends one {@link #pause}; reading resumes when none is left. */
    static void resume(Channel channel) {
        ReadPauses state = of(channel);
        if (state.pauses > 0 && --state.pauses == 0 && channel.isActive()) {
            channel.config().setAutoRead(true);
        }
    }

    /**
     * Over its high water mark, the channel holds responses the client has not read: read no more
     * requests until they are (a pipelining client that never reads would otherwise have every
     * response kept in memory). Returns true when this pauses reading.
     */
    static boolean writabilityChanged(Channel channel) {
        if (channel.isWritable() && ChannelAttributes.peek(channel, KEY) == null) {
            return false; // never paused: nothing to resume, and no state to make
        }
        ReadPauses state = of(channel);
        if (!channel.isWritable() && channel.isActive() && !state.pausedForResponses) {
            state.pausedForResponses = true;
            pause(channel);
            return true;
        }
        if (channel.isWritable() && state.pausedForResponses) {
            state.pausedForResponses = false;
            resume(channel);
        }
        return false;
    }
}
