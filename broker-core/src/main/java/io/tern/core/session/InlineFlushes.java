package io.tern.core.session;

import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * When the copies that a thread wrote straight to its own sessions (see
 * {@link SessionMailbox#tryRunInline}) are flushed: one batch per thread, one turn of its event
 * loop long.
 *
 * <p>Only the turn's first message is delivered inline ({@link Batch#mayDeliverInline}), and its
 * copies go out at once, for up to {@link #IMMEDIATE} subscribers: at 1,000 msg/s a turn carries
 * one message, and its copy then leaves in the middle of the read rather than after the read's
 * own cleanup and the loop's task queue. Its other copies wait for a task queued at the turn's
 * first delivery, which flushes each of them once. That task is queued before any acknowledgement
 * a read holds back, so subscribers' copies still leave before their publishers' PUBACKs.
 */
final class InlineFlushes {
    /** Subscribers of the turn's first message flushed at once; the rest wait for the turn's end. */
    static final int IMMEDIATE = 8;
    private static final long NONE = -1;

    private final ThreadLocal<Batch> batches = ThreadLocal.withInitial(Batch::new);

    /** A message is about to be routed on this thread: its deliveries report to the batch returned. */
    Batch publishing() {
        Batch batch = batches.get();
        batch.publishes++;
        return batch;
    }

    /** This thread's batch, one turn of its loop long. Only its thread touches it. */
    static final class Batch {
        private final ArrayList<Session> sessions = new ArrayList<>(4);
        private boolean endQueued;
        /** Messages routed on this thread so far: which one a delivery is of. */
        private long publishes;
        /** The first message this turn delivered inline, or {@link #NONE}. */
        private long firstOfTurn = NONE;
        private int immediate;
        private final Runnable endOfTurn = this::endOfTurn;

        /**
         * Whether a copy of the message being routed may be written inline: only the turn's first
         * message. A flood's further messages go through the sessions' mailboxes, which batch
         * them per drain and bound what waits (fanout 1 -> 100 at QoS 0 delivered 1.4 million
         * msg/s with every message inline, against 3.0 million through the mailboxes).
         */
        boolean mayDeliverInline() {
            return firstOfTurn == NONE || firstOfTurn == publishes;
        }

        /**
         * {@code session} wrote on this thread, its owner's, which is {@code loop}, and is not in
         * the batch yet. True: flush it now. False: it is in the batch now, flushed at the end of
         * the turn.
         */
        boolean add(Session session, Executor loop) {
            if (!endQueued) {
                try {
                    loop.execute(endOfTurn);
                } catch (RejectedExecutionException stopping) {
                    return true; // the loop is shutting down: there is no later turn to flush in
                }
                endQueued = true;
            }
            if (firstOfTurn == NONE) {
                firstOfTurn = publishes; // the message being routed is the turn's first
            }
            if (firstOfTurn == publishes && immediate < IMMEDIATE) {
                immediate++;
                return true;
            }
            sessions.add(session); // the session remembers that it is here: no search
            return false;
        }

        private void endOfTurn() {
            endQueued = false;
            firstOfTurn = NONE;
            immediate = 0;
            for (int i = 0; i < sessions.size(); i++) {
                sessions.get(i).flushInline();
            }
            sessions.clear();
        }
    }
}
