package io.tern.bench;

import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's worker threads as Netty's event loops have them: {@code FastThreadLocalThread}s. Netty
 * 4.2's {@code Recycler} pools objects (pooled buffer handles, outbound buffer entries) only on
 * threads that clean up their fast thread locals; on JMH's plain threads every such object is
 * allocated afresh, which the broker never does. Selected with
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=io.tern.bench.FastThreadLocalExecutor};
 * JMH calls the {@code (int, String)} constructor.
 */
public final class FastThreadLocalExecutor extends ThreadPoolExecutor {

    public FastThreadLocalExecutor(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
