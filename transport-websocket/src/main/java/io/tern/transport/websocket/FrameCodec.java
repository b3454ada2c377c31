package io.tern.transport.websocket;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binary WebSocket frames to bytes for the MQTT decoder, and the MQTT encoder's bytes back into
 * binary frames. The MQTT decoder reassembles packets across frames and splits several packets
 * in one frame [MQTT-6.0.0-2]; continuation frames are joined before this (WebSocketFrameAggregator).
 */
final class FrameCodec {
    private static final Logger LOG = LoggerFactory.getLogger(FrameCodec.class);

    private FrameCodec() {
    }

    static final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof BinaryWebSocketFrame frame) {
                ctx.fireChannelRead(frame.content()); // ownership passes on with the content
            } else if (msg instanceof TextWebSocketFrame) {
                // [MQTT-6.0.0-1] MQTT travels in binary frames only.
                ReferenceCountUtil.release(msg);
                LOG.info("websocket_text_frame_refused remote={}", ctx.channel().remoteAddress());
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.INVALID_MESSAGE_TYPE))
                        .addListener(f -> ctx.close());
            } else {
                ctx.fireChannelRead(msg);
            }
        }
    }

    static final class Outbound extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof ByteBuf bytes) {
                ctx.write(new BinaryWebSocketFrame(bytes), promise);
            } else {
                ctx.write(msg, promise);
            }
        }
    }
}
