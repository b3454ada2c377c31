package io.tern.core;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Handed to a publisher whose QoS 1/2 message went to subscribers that are not keeping up.
 * The publisher's transport stops reading from it until {@link #relieved()}: acknowledged
 * messages then never have to be dropped for a slow reader. Safe to poll from any thread.
 */
@FunctionalInterface
public interface Backpressure {

    Backpressure NONE = () -> true;

    /** How often {@link #whenRelieved} checks. */
    long CHECK_MILLIS = 5;

    /** True once every congested subscriber has caught up (or gone offline). */
    boolean relieved();

    /** Runs {@code action} on {@code executor} once relieved, checking every {@value #CHECK_MILLIS} ms. */
    default void whenRelieved(ScheduledExecutorService executor, Runnable action) {
        executor.schedule(() -> {
            if (relieved()) {
                action.run();
            } else {
                whenRelieved(executor, action);
            }
        }, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }
}
