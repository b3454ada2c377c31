package io.tern.core.session;

/** What a full session queue does with one more message. Every drop increments a metric. */
public enum QueueOverflowPolicy {
    /** Drop the oldest queued message to make room: fresh data wins (sensor readings). */
    DROP_OLDEST,
    /** Drop the arriving message: what is queued is kept (Mosquitto's behaviour). */
    DROP_NEW
}
