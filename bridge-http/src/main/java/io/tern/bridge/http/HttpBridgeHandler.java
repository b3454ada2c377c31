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
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Credentials;
import io.netty.util.AttributeKey;
import io.tern.netty.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
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
    /** The protocol label of messages published over HTTP. */
    static final String PROTOCOL = "http";
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Broker broker;
    private final Supplier<HealthReport> health;
    private final Supplier<String> metrics;
    private final int maxConcurrentRequests;
    private final AtomicInteger inProgress = new AtomicInteger();
    private final JsonPublishParser jsonParser = new JsonPublishParser();
    private final RawPublishParser rawParser = new RawPublishParser();
    private final boolean requireCredentials;
    private final VerifiedCredentials verified = new VerifiedCredentials();
    /**
     * Requests of one connection that arrived while an earlier one waits for its password check;
     * answered in order afterwards (pipelining stays safe).
     */
    private static final AttributeKey<ArrayDeque<FullHttpRequest>> WAITING = AttributeKey.valueOf("tern.http.waiting");

    HttpBridgeHandler(Broker broker, Supplier<HealthReport> health, Supplier<String> metrics, int maxConcurrentRequests,
                      boolean requireCredentials) {
        this.broker = broker;
        this.requireCredentials = requireCredentials;
        this.health = health;
        this.metrics = metrics;
        this.maxConcurrentRequests = maxConcurrentRequests;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        ArrayDeque<FullHttpRequest> waiting = ctx.channel().attr(WAITING).get();
        if (waiting != null) {
            waiting.add(request.retain());
            return;
        }
        handle(ctx, request);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ArrayDeque<FullHttpRequest> waiting = ctx.channel().attr(WAITING).getAndSet(null);
        if (waiting != null) {
            waiting.forEach(FullHttpRequest::release);
        }
        ctx.fireChannelInactive();
    }

    /** Handles requests held back behind a password check, until done or another one must wait. */
    private void drainWaiting(ChannelHandlerContext ctx) {
        ArrayDeque<FullHttpRequest> waiting = ctx.channel().attr(WAITING).get();
        if (waiting == null) {
            return;
        }
        ctx.channel().attr(WAITING).set(null);
        FullHttpRequest next;
        while ((next = waiting.poll()) != null) {
            try {
                handle(ctx, next);
            } finally {
                next.release();
            }
            ArrayDeque<FullHttpRequest> again = ctx.channel().attr(WAITING).get();
            if (again != null) {
                again.addAll(waiting); // a later request waits for a check again: keep the rest in order
                ReadPauses.resume(ctx.channel()); // this wait is over; the new one holds its own pause
                return;
            }
        }
        ReadPauses.resume(ctx.channel());
    }

    private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
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
        Identity identity = identify(ctx, request);
        if (identity instanceof Identity.Pending pending) {
            waitForCheck(ctx, request, pending);
            return;
        }
        answer(ctx, request, identity);
    }

    /** Routes and responds; releases the concurrency slot as the response is handed to the connection. */
    private void answer(ChannelHandlerContext ctx, FullHttpRequest request, Identity identity) {
        FullHttpResponse response;
        try {
            response = identity instanceof Identity.Refused refused ? refused.response()
                    : route(ctx, request, ((Identity.Known) identity).username());
        } catch (RuntimeException e) {
            LOG.error("http_request_failed uri={} error={}", request.uri(), e.toString());
            response = HttpResponses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error", null,
                    "the request could not be handled");
        }
        java.util.concurrent.CompletableFuture<Void> stored = ctx.channel().attr(STORED).getAndSet(null);
        if (stored != null && !stored.isDone()) {
            // 200 means stored: hold this response (and read nothing more) until it is.
            FullHttpResponse ready = response;
            request.retain();
            ctx.channel().attr(WAITING).set(new ArrayDeque<>());
            ReadPauses.pause(ctx.channel());
            stored.whenComplete((ok, error) -> ctx.executor().execute(() -> {
                try {
                    FullHttpResponse answer = ready;
                    if (stored.isCompletedExceptionally()) {
                        ready.release();
                        answer = HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "storage_failed", null,
                                "the message could not be stored; retry");
                    }
                    inProgress.decrementAndGet();
                    if (ctx.channel().isActive()) {
                        respond(ctx, request, answer, false);
                    } else {
                        answer.release();
                    }
                } finally {
                    request.release();
                    drainWaiting(ctx);
                }
            }));
            return;
        }
        if (stored != null && stored.isCompletedExceptionally()) {
            response.release();
            response = HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "storage_failed", null,
                    "the message could not be stored; retry");
        }
        // The slot ends with the work, not when the client reads the answer: a client that does
        // not read is held to its own connection (ReadPauses), and must not take the slots of others.
        inProgress.decrementAndGet();
        respond(ctx, request, response, false);
    }

    /** Set by a publish whose message must be stored before its 200 is sent. */
    private static final AttributeKey<java.util.concurrent.CompletableFuture<Void>> STORED =
            AttributeKey.valueOf("tern.http.stored");

    /** Who sent a request that publishes: known now, refused, or waiting for the authenticator. */
    private sealed interface Identity {
        record Known(String username) implements Identity {
        }

        record Refused(FullHttpResponse response) implements Identity {
        }

        record Pending(String header, Credentials credentials) implements Identity {
        }
    }

    private Identity identify(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!isPublish(request)) {
            return new Identity.Known(null); // health and metrics are open
        }
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null) {
            return requireCredentials ? new Identity.Refused(unauthorized("credentials required (HTTP Basic)"))
                    : new Identity.Known(null);
        }
        VerifiedCredentials.Verified known = verified.lookup(header);
        if (known != null) {
            return new Identity.Known(known.username());
        }
        Credentials credentials = HttpCredentials.parse(header, Addresses.hostOf(ctx.channel().remoteAddress()));
        if (credentials == null) {
            return new Identity.Refused(unauthorized("Authorization must be Basic or Bearer"));
        }
        return new Identity.Pending(header, credentials);
    }

    /** Stops reading until the authenticator answers; later requests of this connection queue behind. */
    private void waitForCheck(ChannelHandlerContext ctx, FullHttpRequest request, Identity.Pending pending) {
        ctx.channel().attr(WAITING).set(new ArrayDeque<>());
        ReadPauses.pause(ctx.channel());
        request.retain();
        broker.authenticate(pending.credentials()).whenComplete((outcome, error) -> ctx.executor().execute(() -> {
            try {
                Identity identity;
                if (outcome instanceof AuthenticationOutcome.Allowed allowed) {
                    verified.remember(pending.header(), allowed.username());
                    identity = new Identity.Known(allowed.username());
                } else if (outcome instanceof AuthenticationOutcome.Denied denied
                        && denied.reasonCode() == ReasonCode.SERVER_BUSY) {
                    identity = new Identity.Refused(HttpResponses.error(HttpResponseStatus.SERVICE_UNAVAILABLE,
                            "overloaded", null, denied.reason()));
                } else {
                    identity = new Identity.Refused(unauthorized("bad username or password"));
                }
                if (ctx.channel().isActive()) {
                    answer(ctx, request, identity);
                } else {
                    inProgress.decrementAndGet();
                }
            } finally {
                request.release();
                drainWaiting(ctx);
            }
        }));
    }

    private static FullHttpResponse unauthorized(String message) {
        FullHttpResponse response = HttpResponses.error(HttpResponseStatus.UNAUTHORIZED, "unauthorized",
                "Authorization", message);
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"tern\", charset=\"UTF-8\"");
        return response;
    }

    private static boolean isPublish(FullHttpRequest request) {
        String path = new QueryStringDecoder(request.uri()).rawPath();
        return request.method().equals(HttpMethod.POST)
                && (path.equals("/publish") || path.startsWith(RawPublishParser.PREFIX));
    }

    private FullHttpResponse route(ChannelHandlerContext ctx, FullHttpRequest request, String username) {
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
            return publish(ctx, jsonParser.parse(body(request), broker.now()), username);
        }
        if (path.startsWith(RawPublishParser.PREFIX)) {
            if (!method.equals(HttpMethod.POST)) {
                return methodNotAllowed("POST");
            }
            Map<String, List<String>> parameters;
            try {
                parameters = uri.parameters();
            } catch (IllegalArgumentException e) {
                // Bad percent-encoding in the query (found by HttpFuzzTest): the client's mistake, not ours.
                return HttpResponses.error(HttpResponseStatus.BAD_REQUEST, "invalid_request", "query",
                        "the query string is not valid percent-encoding");
            }
            return publish(ctx, rawParser.parse(path, parameters, body(request), broker.now()), username);
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

    private FullHttpResponse publish(ChannelHandlerContext ctx, PublishRequest parsed, String username) {
        if (parsed instanceof PublishRequest.Invalid invalid) {
            return HttpResponses.error(HttpResponseStatus.valueOf(invalid.status()), "invalid_request", invalid.field(),
                    invalid.message());
        }
        PublishRequest.Valid valid = (PublishRequest.Valid) parsed;
        PublishOutcome outcome = broker.publish(valid.message(), new Publisher(null, username, PROTOCOL));
        if (outcome instanceof PublishOutcome.Rejected rejected) {
            return rejection(rejected);
        }
        if (outcome instanceof PublishOutcome.Accepted accepted) {
            if (accepted.slowDown()) {
                pauseUntilRelieved(ctx, accepted.backpressure());
            }
            ctx.channel().attr(STORED).set(accepted.durable().toCompletableFuture());
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
        ReadPauses.pause(ctx.channel());
        backpressure.whenRelieved(ctx.executor(), () -> ReadPauses.resume(ctx.channel()));
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ReadPauses.writabilityChanged(ctx.channel())) {
            broker.metrics().limitHit("unread_replies");
        }
        ctx.fireChannelWritabilityChanged();
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
