package io.tern.transport.websocket;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.tern.core.metrics.BrokerMetrics;

/**
 * Pings of a client that is not reading the Pongs: while the channel is over its high water mark,
 * a Ping is dropped instead of answered. Netty answers each one, whatever the writability, so a
 * client sending Pings without reading made the broker hold a Pong for every one (10 million in
 * 10 s filled a 2 GB heap). An endpoint that has not yet sent the Pong for an earlier Ping need not
 * answer every one [RFC 6455 5.5.3]; the client still gets the Pongs already queued.
 */
@ChannelHandler.Sharable
final class UnreadPongs extends ChannelInboundHandlerAdapter {
    private final BrokerMetrics metrics;

    UnreadPongs(BrokerMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PingWebSocketFrame && !ctx.channel().isWritable()) {
            ReferenceCountUtil.release(msg);
            metrics.limitHit("unread_replies");
            return;
        }
        ctx.fireChannelRead(msg);
    }
}
