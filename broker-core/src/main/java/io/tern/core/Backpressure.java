package io.tern.core;

/**
 * Handed to a publisher whose QoS 1/2 message went to subscribers that are not keeping up.
 * The publisher's transport stops reading from it until {@link #relieved()}: acknowledged
 * messages then never have to be dropped for a slow reader. Safe to poll from any thread.
 */
@FunctionalInterface
public interface Backpressure {

    Backpressure NONE = () -> true;

    /** True once every congested subscriber has caught up (or gone offline). */
    boolean relieved();
}
