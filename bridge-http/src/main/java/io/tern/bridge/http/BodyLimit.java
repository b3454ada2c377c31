package io.tern.bridge.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Aggregates request bodies up to the limit; beyond it, answers 413 with a JSON error.
 *
 * <p>The connection stays open and the aggregator discards the rest of the body: closing while
 * the client is still sending makes the kernel reset the connection, and the client would never
 * read the 413.
 */
final class BodyLimit extends HttpObjectAggregator {
    private final int maxBodyBytes;

    BodyLimit(int maxBodyBytes) {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        FullHttpResponse response = HttpResponses.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "too_large",
                "body", "request body larger than " + maxBodyBytes + " bytes");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
}
