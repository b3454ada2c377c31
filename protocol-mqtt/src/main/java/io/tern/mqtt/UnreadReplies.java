package io.tern.mqtt;

import io.netty.channel.ChannelHandlerContext;

/**
 * Notices a client that keeps sending requests (PINGREQ, QoS 1/2 PUBLISH, SUBSCRIBE) but does not
 * read the answers. Its deliveries stop at the channel's high water mark (the session queues them,
 * under its limits), but every answer is written whatever the writability: without this, a client
 * that never reads would have the broker hold its PINGRESPs and PUBACKs in memory without end,
 * about 100 bytes each, at the rate it can send (hundreds of MB a second over loopback).
 * Owned by the connection's event loop.
 */
final class UnreadReplies {
    /**
     * Answers written while the channel is over its high water mark before the broker stops
     * reading: about 100 KB of buffers on top of the mark. A client that reads, even slowly,
     * brings the channel back under the mark long before; a burst of requests in one read is
     * flushed and checked again before counting as unread.
     */
    static final int MAX_UNREAD = 1024;

    private int writtenWhileUnwritable;

    /**
     * Called after each answer is written. True when the client has left {@link #MAX_UNREAD}
     * answers unread beyond the high water mark, so it should not be read from until the channel
     * is writable again (TCP then slows the client down).
     */
    boolean tooMany(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            writtenWhileUnwritable = 0;
            return false;
        }
        if (++writtenWhileUnwritable < MAX_UNREAD) {
            return false;
        }
        writtenWhileUnwritable = 0;
        // The answers to one large read wait for the flush after it: flush them now, so a client
        // that pipelines requests but reads is not mistaken for one that does not.
        ctx.flush();
        return !ctx.channel().isWritable();
    }
}
