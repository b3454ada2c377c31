package io.tern.core;

import java.util.function.LongSupplier;

/** The broker's time source in production. */
public final class Clocks {
    /**
     * Wall-clock milliseconds. One instance for every broker of the process: each
     * {@code System::currentTimeMillis} in the source is a class of its own, and a call site the
     * JIT compiled for one (the start-up warm-up's broker) is thrown away when another (the
     * daemon's broker) reaches it.
     */
    public static final LongSupplier SYSTEM_MILLIS = System::currentTimeMillis;

    private Clocks() {
    }
}
