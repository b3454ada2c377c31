package io.tern.bridge.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.tern.core.Broker;
import io.tern.core.PublishOutcome;
import io.tern.core.Publisher;
import io.tern.core.ReasonCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Routes HTTP requests: {@code POST /publish}, {@code POST /publish/{topic}}, {@code GET /health},
 * {@code GET /metrics}. Everything it calls is non-blocking, so it answers on the event loop, in
 * request order (pipelining is safe).
 */
@ChannelHandler.Sharable
final class HttpBridgeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(HttpBridgeHandler.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Broker broker;
    private final Supplier<HealthReport> health;
    private final Supplier<String> metrics;
    private final int maxConcurrentRequests;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final JsonPublishParser jsonParser = new JsonPublishParser();
    private final RawPublishParser rawParser = new RawPublishParser();

    HttpBridgeHandler(Broker broker, Supplier<HealthReport> health, Supplier<String> metrics, int maxConcurrentRequests) {
        this.broker = broker;
        this.health = health;
        this.metrics = metrics;
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            respond(ctx, request, HttpResponses.error(HttpResponseStatus.BAD_REQUEST, "bad_request", null,
                    "malformed HTTP request"), true);
            return;
        }
        if (inProgress.incrementAndGet() > maxConcurrentRequests) {
            inProgress.decrementAndGet();
            broker.metrics().messageDropped("http_overloaded");
            respond(ctx, request, HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded", null,
                    "too many concurrent requests; retry later"), false);
            return;
        }
        FullHttpResponse response;
        try {
            response = route(ctx, request);
        } catch (RuntimeException e) {
            LOG.error("http_request_failed uri={} error={}", request.uri(), e.toString());
            response = HttpResponses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", null,
                    "the request could not be handled");
        }
        respond(ctx, request, response, false).addListener(f -> inProgress.decrementAndGet());
    }

    private FullHttpResponse route(ChannelHandlerContext ctx, FullHttpRequest request) {
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.rawPath();
        HttpMethod method = request.method();
        if (path.equals("/publish")) {
            if (!method.equals(HttpMethod.POST)) {
                return methodNotAllowed("POST");
            }
            if (!isJson(request)) {
                return HttpResponses.error(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                        "Content-Type", "POST /publish takes application/json; use POST /publish/{topic} for raw bodies");
            }
            return publish(ctx, jsonParser.parse(body(request), broker.now()));
        }
        if (path.startsWith(RawPublishParser.PREFIX)) {
            if (!method.equals(HttpMethod.POST)) {
                return methodNotAllowed("POST");
            }
            return publish(ctx, rawParser.parse(path, uri.parameters(), body(request), broker.now()));
        }
        if (path.equals("/health")) {
            return method.equals(HttpMethod.GET) ? health() : methodNotAllowed("GET");
        }
        if (path.equals("/metrics")) {
            return method.equals(HttpMethod.GET)
                    ? HttpResponses.text(HttpResponseStatus.OK, metrics.get(), PROMETHEUS_TEXT)
                    : methodNotAllowed("GET");
        }
        return HttpResponses.error(HttpResponseStatus.NOT_FOUND, "not_found", null,
                "no such resource; try POST /publish, POST /publish/{topic}, GET /health, GET /metrics");
    }

    private static boolean isJson(FullHttpRequest request) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return false;
        }
        String mime = type.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return mime.equals("application/json");
    }

    private static byte[] body(FullHttpRequest request) {
        byte[] bytes = new byte[request.content().readableBytes()];
        request.content().getBytes(request.content().readerIndex(), bytes);
        return bytes;
    }

    private FullHttpResponse publish(ChannelHandlerContext ctx, PublishRequest parsed) {
        if (parsed instanceof PublishRequest.Invalid invalid) {
            return HttpResponses.error(HttpResponseStatus.valueOf(invalid.status()), "invalid_request", invalid.field(),
                    invalid.message());
        }
        PublishRequest.Valid valid = (PublishRequest.Valid) parsed;
        PublishOutcome outcome = broker.publish(valid.message(), new Publisher(null, null, "http"));
        if (outcome instanceof PublishOutcome.Rejected rejected) {
            return rejection(rejected);
        }
        if (outcome instanceof PublishOutcome.Accepted accepted && accepted.slowDown()) {
            pauseUntilRelieved(ctx, accepted.backpressure());
        }
        ObjectNode ok = HttpResponses.JSON.createObjectNode();
        ok.put("status", "ok");
        return HttpResponses.json(HttpResponseStatus.OK, ok);
    }

    /**
     * A subscriber of this QoS 1/2 message is not keeping up: this message is accepted (the queue
     * keeps a quarter of headroom), but stop reading further requests from this connection until
     * the subscriber catches up, as MQTT publishers are held back.
     */
    private void pauseUntilRelieved(ChannelHandlerContext ctx, io.tern.core.Backpressure backpressure) {
        ctx.channel().config().setAutoRead(false);
        backpressure.whenRelieved(ctx.executor(), () -> {
            if (ctx.channel().isActive()) {
                ctx.channel().config().setAutoRead(true);
            }
        });
    }

    private static FullHttpResponse rejection(PublishOutcome.Rejected rejected) {
        ReasonCode code = rejected.reasonCode();
        return switch (code) {
            case NOT_AUTHORIZED -> HttpResponses.error(HttpResponseStatus.FORBIDDEN, "not_authorized", "topic",
                    rejected.reason());
            case TOPIC_NAME_INVALID -> HttpResponses.error(HttpResponseStatus.BAD_REQUEST, "invalid_request", "topic",
                    rejected.reason());
            case QOS_NOT_SUPPORTED -> HttpResponses.error(HttpResponseStatus.BAD_REQUEST, "invalid_request", "qos",
                    rejected.reason());
            case RETAIN_NOT_SUPPORTED -> HttpResponses.error(HttpResponseStatus.BAD_REQUEST, "invalid_request",
                    "retain", rejected.reason());
            case QUOTA_EXCEEDED, SERVER_BUSY -> HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "overloaded", null, rejected.reason());
            default -> HttpResponses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, code.label(), null,
                    rejected.reason());
        };
    }

    private FullHttpResponse health() {
        HealthReport report = health.get();
        ObjectNode body = HttpResponses.JSON.createObjectNode();
        body.put("status", report.serving() ? "UP" : "DOWN");
        ObjectNode listeners = body.putObject("listeners");
        report.listeners().forEach((name, state) -> {
            ObjectNode entry = listeners.putObject(name);
            entry.put("state", state.state());
            if (state.address() != null) {
                entry.put("address", state.address());
            }
        });
        return HttpResponses.json(report.serving() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private static FullHttpResponse methodNotAllowed(String allowed) {
        FullHttpResponse response = HttpResponses.error(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
                null, "allowed: " + allowed);
        response.headers().set(HttpHeaderNames.ALLOW, allowed);
        return response;
    }

    private static io.netty.channel.ChannelFuture respond(ChannelHandlerContext ctx, FullHttpRequest request,
                                                          FullHttpResponse response, boolean close) {
        boolean keepAlive = !close && HttpUtil.isKeepAlive(request);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        io.netty.channel.ChannelFuture future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
        return future;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("http_connection_error remote={} error={}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
