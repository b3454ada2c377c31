package io.tern.core.session;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * Runs a session's tasks one at a time, in submission order, on its current owner executor.
 *
 * <p>This is what makes "one owner thread per session" hold while the owner changes: at most
 * one drain is scheduled at any moment (the {@code scheduled} flag), so tasks never run
 * concurrently even while the session moves from an offline executor to a connection's event
 * loop. A drain that sees the owner change stops and reschedules itself on the new owner, so
 * tasks submitted after a {@link #moveTo} run there. The CAS on {@code scheduled} orders memory
 * between consecutive drains, so owner-thread state needs no further synchronisation.
 */
final class SessionMailbox implements Executor {

    private static final Logger LOG = LoggerFactory.getLogger(SessionMailbox.class);
    /** Bounds one drain so a busy session cannot starve the other channels of its event loop. */
    private static final int MAX_TASKS_PER_DRAIN = 256;

    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** 1 while a drain is scheduled; a field updater rather than an AtomicBoolean per session. */
    private volatile int scheduled;
    private static final AtomicIntegerFieldUpdater<SessionMailbox> SCHEDULED =
            AtomicIntegerFieldUpdater.newUpdater(SessionMailbox.class, "scheduled");
    private final Executor fallback;
    private final Runnable afterDrain;
    /** One Runnable for every drain, rather than a new method reference per scheduled drain. */
    private final Runnable drainTask = this::drain;
    private volatile Executor owner;
    /** The thread of the last drain, and the owner it ran for; see {@link #tryRunInline}. */
    private Thread drainThread;
    private Executor drainOwner;

    /**
     * @param owner      the first owner executor
     * @param fallback   used when the owner rejects work (its event loop is shutting down)
     * @param afterDrain runs at the end of every drain, on the owner (used to flush once per batch)
     */
    SessionMailbox(Executor owner, Executor fallback, Runnable afterDrain) {
        this.owner = owner;
        this.fallback = fallback;
        this.afterDrain = afterDrain;
    }

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
        if (SCHEDULED.compareAndSet(this, 0, 1)) {
            schedule();
        }
    }

    /** Hands ownership to {@code newOwner}; called from a task running on the current owner. */
    void moveTo(Executor newOwner) {
        this.owner = newOwner;
    }

    private void schedule() {
        Executor target = owner;
        try {
            target.execute(drainTask);
        } catch (RejectedExecutionException e) {
            // The owner's event loop is shutting down: keep the session's work going elsewhere.
            owner = fallback;
            try {
                fallback.execute(drainTask);
            } catch (RejectedExecutionException stopped) {
                // The broker itself is stopping: there is nowhere left to run session work.
                scheduled = 0;
                LOG.debug("session_work_rejected reason=broker_stopping");
            }
        }
    }

    /**
     * Runs {@code task} now, on the calling thread, if that thread is the owner's and nothing of
     * this session is queued or running: the same order and exclusion a drain gives, without the
     * two task queues in between. Returns false, having done nothing, otherwise. The caller
     * flushes (this is for a delivery in the middle of another connection's read: see
     * {@link InlineFlushes}).
     *
     * <p>Why it is safe: the owner is a single-thread executor (an event loop, an offline
     * thread), so the thread of its last drain is its thread; the owner changes only inside this
     * session's own tasks, and none runs while {@code scheduled} is held here. A stale read of
     * the two drain fields on another thread cannot pass the check with the current owner.
     */
    boolean tryRunInline(Runnable task) {
        if (Thread.currentThread() != drainThread || owner != drainOwner || scheduled != 0 || !tasks.isEmpty()
                || !SCHEDULED.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            runLogged(task);
        } finally {
            release();
        }
        return true;
    }

    /** The owner's executor, for work that must run on it. */
    Executor owner() {
        return owner;
    }

    private void drain() {
        Executor startedOn = owner;
        drainThread = Thread.currentThread();
        drainOwner = startedOn;
        try {
            for (int i = 0; i < MAX_TASKS_PER_DRAIN && owner == startedOn; i++) {
                Runnable task = tasks.poll();
                if (task == null) {
                    break;
                }
                runLogged(task);
            }
            afterDrain.run();
        } catch (RuntimeException e) {
            LOG.error("session_flush_failed", e);
        } finally {
            release();
        }
    }

    private static void runLogged(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("session_task_failed", e);
        }
    }

    /** Ends a drain or an inline run; schedules the next drain if work came in meanwhile. */
    private void release() {
        scheduled = 0;
        if (!tasks.isEmpty() && SCHEDULED.compareAndSet(this, 0, 1)) {
            schedule();
        }
    }
}
