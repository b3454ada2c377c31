package io.tern.core;

import io.tern.core.storage.MessageLog;

import java.util.concurrent.CompletionStage;

/** The result of {@link Broker#publish}: accepted (with or without subscribers) or rejected. */
public sealed interface PublishOutcome {

    /** The MQTT 5 reason code an acknowledgement should carry. */
    ReasonCode reasonCode();

    /**
     * Accepted and routed to {@code deliveries} sessions (0 gives v5 reason 0x10).
     *
     * @param backpressure {@link Backpressure#NONE}, or the subscribers of this QoS 1/2 message
     *                     that are not keeping up: the publisher should pause until relieved, so
     *                     that nothing acknowledged has to be dropped
     * @param durable      completes once the message is stored for every persistent session it
     *                     went to (and as the retained message): acknowledge only then
     */
    record Accepted(int deliveries, Backpressure backpressure, CompletionStage<Void> durable)
            implements PublishOutcome {

        public Accepted(int deliveries, Backpressure backpressure) {
            this(deliveries, backpressure, MessageLog.DONE);
        }

        public boolean slowDown() {
            return backpressure != Backpressure.NONE;
        }

        @Override
        public ReasonCode reasonCode() {
            return deliveries == 0 ? ReasonCode.NO_MATCHING_SUBSCRIBERS : ReasonCode.SUCCESS;
        }
    }

    /** Not accepted; nothing was stored or routed. */
    record Rejected(ReasonCode reasonCode, String reason) implements PublishOutcome {
    }
}
