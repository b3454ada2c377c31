package io.tern.transport.websocket;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.tern.mqtt.MqttTail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Lets only proper WebSocket upgrades on the configured path through to Netty's handshaker:
 * other paths 404, other methods 405, plain HTTP 426, a bad upgrade 400, a disallowed Origin 403.
 * Also records the client's real address when the peer is a trusted proxy.
 */
final class UpgradeGuard extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeGuard.class);

    private final WebSocketSettings settings;

    UpgradeGuard(WebSocketSettings settings) {
        this.settings = settings;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        FullHttpResponse refusal = check(request);
        if (refusal != null) {
            ReferenceCountUtil.release(request);
            refusal.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(refusal).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        ctx.channel().attr(MqttTail.CLIENT_ADDRESS).set(clientAddress(ctx, request));
        ctx.fireChannelRead(request); // on to the WebSocket handshaker
    }

    private FullHttpResponse check(FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            return response(HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (!path.equals(settings.path())) {
            return response(HttpResponseStatus.NOT_FOUND, "MQTT over WebSocket is served at " + settings.path());
        }
        if (!request.method().equals(HttpMethod.GET)) {
            FullHttpResponse response = response(HttpResponseStatus.METHOD_NOT_ALLOWED, "use a WebSocket upgrade (GET)");
            response.headers().set(HttpHeaderNames.ALLOW, "GET");
            return response;
        }
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
        if (upgrade == null || !upgrade.equalsIgnoreCase("websocket")) {
            FullHttpResponse response = response(HttpResponseStatus.UPGRADE_REQUIRED,
                    "this endpoint speaks MQTT over WebSocket; send an Upgrade: websocket request");
            response.headers().set(HttpHeaderNames.UPGRADE, "websocket");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            return response;
        }
        if (!request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            return response(HttpResponseStatus.BAD_REQUEST, "incomplete WebSocket upgrade request");
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !settings.allowedOrigins().isEmpty() && !settings.allowedOrigins().contains(origin)) {
            LOG.info("websocket_origin_refused origin={}", origin);
            return response(HttpResponseStatus.FORBIDDEN, "origin not allowed");
        }
        return null;
    }

    /** The peer, or what a trusted proxy says the client is. */
    private String clientAddress(ChannelHandlerContext ctx, FullHttpRequest request) {
        InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
        String peerIp = peer.getAddress() == null ? peer.getHostString() : peer.getAddress().getHostAddress();
        if (settings.trustedProxies().contains(peerIp)) {
            String forwardedFor = request.headers().get("X-Forwarded-For");
            if (forwardedFor != null && !forwardedFor.isBlank()) {
                return forwardedFor.split(",", 2)[0].trim();
            }
            String realIp = request.headers().get("X-Real-IP");
            if (realIp != null && !realIp.isBlank()) {
                return realIp.trim();
            }
        }
        return peerIp + ":" + peer.getPort();
    }

    private static FullHttpResponse response(HttpResponseStatus status, String text) {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }
}
