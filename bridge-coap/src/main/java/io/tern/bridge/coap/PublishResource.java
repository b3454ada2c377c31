package io.tern.bridge.coap;

import io.tern.core.Backpressure;
import io.tern.core.Broker;
import io.tern.core.PublishOutcome;
import io.tern.core.Publisher;
import io.tern.core.message.Message;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;
import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;

/** {@code POST /mqtt/publish/{topic...}?qos=1&retain=true}: the payload is the message. */
final class PublishResource extends CoapResource {
    private static final int PATH_SEGMENTS = 2; // mqtt, publish

    /** Bounds the memory of congested topics; relieved entries go first when it is reached. */
    private static final int MAX_CONGESTED_TOPICS = 10_000;
    /** Seconds a refused client is told to wait before retrying (Max-Age of the 5.03). */
    private static final long RETRY_AFTER_SECONDS = 1;

    private final Broker broker;
    private final int maxPayloadBytes;
    /** Topics whose last QoS 1/2 message reached a subscriber that was not keeping up. */
    private final java.util.concurrent.ConcurrentHashMap<String, Backpressure> congested =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final boolean allowAnonymous;

    PublishResource(Broker broker, int maxPayloadBytes, boolean allowAnonymous) {
        super("publish");
        this.broker = broker;
        this.allowAnonymous = allowAnonymous;
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /** Every path below /mqtt/publish is this resource: the rest of the path is the topic. */
    @Override
    public Resource getChild(String name) {
        return this;
    }

    @Override
    public void handlePOST(CoapExchange exchange) {
        String identity = CoapIdentity.of(exchange.advanced().getRequest());
        if (identity == null && !allowAnonymous) {
            exchange.respond(ResponseCode.UNAUTHORIZED, "anonymous clients are not allowed; use DTLS with a pre-shared key",
                    MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        String topic = CoapTopics.topicOf(exchange.getRequestOptions().getUriPath(), PATH_SEGMENTS);
        if (Topics.checkTopicName(topic) instanceof TopicCheck.Invalid invalid) {
            badRequest(exchange, "topic: " + invalid.problem());
            return;
        }
        CoapTopics.PublishOptions options = CoapTopics.publishOptions(exchange.getRequestOptions().getUriQuery());
        if (options.problem() != null) {
            badRequest(exchange, options.problem());
            return;
        }
        byte[] payload = exchange.getRequestPayload();
        if (payload.length > maxPayloadBytes) {
            exchange.respond(ResponseCode.REQUEST_ENTITY_TOO_LARGE, "payload larger than " + maxPayloadBytes + " bytes",
                    MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        if (options.qos().value() > 0 && stillCongested(topic)) {
            // UDP has no connection to stop reading: refuse rather than accept and later drop.
            org.eclipse.californium.core.coap.Response busy =
                    new org.eclipse.californium.core.coap.Response(ResponseCode.SERVICE_UNAVAILABLE);
            busy.setPayload("subscribers of this topic are not keeping up; retry later");
            busy.getOptions().setContentFormat(MediaTypeRegistry.TEXT_PLAIN).setMaxAge(RETRY_AFTER_SECONDS);
            exchange.respond(busy);
            return;
        }
        Message message = new Message(topic, payload, options.qos(), options.retain(), null, Message.NEVER_EXPIRES);
        PublishOutcome outcome = broker.publish(message, new Publisher(null, identity, CoapBridge.PROTOCOL));
        if (outcome instanceof PublishOutcome.Accepted accepted && accepted.slowDown()) {
            if (congested.size() >= MAX_CONGESTED_TOPICS) {
                congested.values().removeIf(Backpressure::relieved);
            }
            congested.put(topic, accepted.backpressure());
        }
        if (outcome instanceof PublishOutcome.Rejected rejected) {
            ResponseCode code = switch (rejected.reasonCode()) {
                case NOT_AUTHORIZED -> ResponseCode.FORBIDDEN;
                case QUOTA_EXCEEDED, SERVER_BUSY -> ResponseCode.SERVICE_UNAVAILABLE;
                default -> ResponseCode.BAD_REQUEST;
            };
            exchange.respond(code, rejected.reason(), MediaTypeRegistry.TEXT_PLAIN);
            return;
        }
        if (outcome instanceof PublishOutcome.Accepted accepted) {
            // 2.04 means stored: Californium lets the answer come from the storage's thread.
            accepted.durable().whenComplete((ok, error) -> {
                if (error != null) {
                    exchange.respond(ResponseCode.SERVICE_UNAVAILABLE, "the message could not be stored; retry",
                            MediaTypeRegistry.TEXT_PLAIN);
                } else {
                    exchange.respond(ResponseCode.CHANGED);
                }
            });
            return;
        }
        exchange.respond(ResponseCode.CHANGED);
    }

    private boolean stillCongested(String topic) {
        Backpressure backpressure = congested.get(topic);
        if (backpressure == null) {
            return false;
        }
        if (backpressure.relieved()) {
            congested.remove(topic, backpressure);
            return false;
        }
        return true;
    }

    private static void badRequest(CoapExchange exchange, String diagnostic) {
        exchange.respond(ResponseCode.BAD_REQUEST, diagnostic, MediaTypeRegistry.TEXT_PLAIN);
    }
}
