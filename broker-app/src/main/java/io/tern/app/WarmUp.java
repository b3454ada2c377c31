package io.tern.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.Clocks;
import io.tern.core.Publisher;
import io.tern.core.auth.Authorizer;
import io.tern.core.auth.ReloadableAuthorizer;
import io.tern.core.auth.password.PasswordFileAuthenticator;
import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.mqtt.MqttTail;
import io.tern.mqtt.MqttTailSettings;
import io.tern.netty.ConnectionGate;
import io.tern.netty.EventLoops;
import io.tern.transport.tcp.TcpListener;
import io.tern.transport.tcp.TcpSettings;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs the MQTT path before the real listeners open, so the JIT has compiled it when the first
 * clients arrive. Cold, the first seconds of traffic ran interpreted while the compiler threads
 * competed with the event loop: on a broker pinned to one core, p99 latency at 1,000 msg/s was
 * 3.6-4.8 ms in the first 10 s, against 0.8 ms warm, and the connect rate was 60% of the warm one.
 *
 * <p>Real sockets on loopback, on the broker's own event loops, so the epoll read and write paths
 * are compiled as well, against a broker of its own (in memory, own meters): the compiled code
 * is shared with the real broker, the state is not. Messages in batches ({@link MessageWarmUp})
 * while clients come and go ({@link ConnectionWarmUp}), then messages one at a time, then the
 * loops woken from another thread once the throwaway broker is gone ({@link #wakeLoops}). Half
 * the connections come and go during the messages, the other half stay until all are in
 * ({@link ConnectionWarmUp#hold}). The traffic waits for the JIT when it falls behind
 * ({@link JitBacklog}), and the warm-up's garbage is collected at the end
 * ({@link HeapRetention}). Bounded in time; a failure only means a cold start.
 *
 * <p>The real broker is touched once, halfway through the batches: its own first publishes
 * ({@code realBrokerFirst}, the $SYS set it would publish at start anyway) run then. Its stores
 * are of other classes than the throwaway's (RocksDB in the default config), so that first
 * publish threw the compiled {@code Broker.publish} away (class_check at {@code retained.put},
 * -XX:+LogCompilation) and, with no traffic until clients came, {@code Broker.publish},
 * {@code TopicTree.match} and {@code Router} were compiled again in the first 0.1 s of real
 * traffic: stalls of 1-6 ms at the start of a latency run. Halfway, the rest of the warm-up
 * compiles them again with both kinds of store seen.
 */
final class WarmUp {
    private static final long MAX_MILLIS = 10_000;
    /** Enough for the loop's idle path to reach the JIT's top tier again (tier 4 wants 5,000-15,000). */
    private static final int LOOP_WAKE_UPS = 20_000;
    /** Period of the task that runs alongside the wake-ups ({@link #wakeLoops}). */
    private static final long PERIODIC_MICROS = 200;

    private WarmUp() {
    }

    /** Messages delivered and connections completed (CONNACK received). */
    record Result(long messages, int connections, long millis) {
    }

    static Result run(MqttTailSettings tailSettings, BrokerSettings brokerSettings, EventLoops loops, int messages,
                      int connections, Runnable realBrokerFirst) throws InterruptedException {
        long start = System.nanoTime();
        if (messages <= 0 && connections <= 0) {
            return new Result(0, 0, 0);
        }
        Result exercised = exercise(tailSettings, brokerSettings, loops, messages, connections, start,
                realBrokerFirst);
        HeapRetention.collectWarmUpGarbage();
        wakeLoops(loops, start + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS + 1_000));
        return new Result(exercised.messages(), exercised.connections(), (System.nanoTime() - start) / 1_000_000);
    }

    /** One throwaway broker: its traffic, then its teardown. */
    private static Result exercise(MqttTailSettings tailSettings, BrokerSettings brokerSettings, EventLoops loops,
                                   int messages, int connections, long start, Runnable realBrokerFirst)
            throws InterruptedException {
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(MAX_MILLIS);
        // The parts are the daemon's kinds (Prometheus meters, the password-file authenticator, the
        // reloadable authorizer, a connection gate): code compiled for other classes would be thrown
        // away when the real broker's first calls reach it, and compiled again under load.
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        PasswordFileAuthenticator authenticator = new PasswordFileAuthenticator(null, true, registry,
                Clocks.SYSTEM_MILLIS);
        Broker broker = new Broker(brokerSettings, new InMemoryRetainedStore(), new InMemorySessionStore(),
                authenticator, new ReloadableAuthorizer(Authorizer.allowAll()), registry, Clocks.SYSTEM_MILLIS);
        ConnectionGate gate = new ConnectionGate(0, 1_000_000, 0, broker.metrics());
        int held = connections / 2;
        MqttTail tail = new MqttTail(broker, tailSettings);
        try (TcpListener listener = new TcpListener(new TcpSettings("127.0.0.1", 0, 64 + held), broker, tail, loops,
                null, gate)) {
            InetSocketAddress address = listener.start();
            MessageWarmUp traffic = new MessageWarmUp(loops, address, round -> publishAsTheOthers(broker, round));
            // A listener opened and closed now and then: the real ones open after the warm-up,
            // through the pipeline code every connection runs, with a server channel's types,
            // which sent the compiled code back to the interpreter when only connections had
            // been seen (AbstractChannelHandlerContext.executor, class_check, -XX:+LogCompilation).
            Callable<Void> listenerCycle = () -> {
                try (TcpListener another = new TcpListener(new TcpSettings("127.0.0.1", 0, 1), broker, tail, loops,
                        null, gate)) {
                    another.start();
                }
                return null;
            };
            // New clients come and go while the messages flow, so the profiles see both.
            FutureTask<Integer> cycles = new FutureTask<>(() -> ConnectionWarmUp.run(loops, address,
                    connections - held, deadline, listenerCycle));
            Thread cycling = new Thread(cycles, "tern-warm-up-connections");
            cycling.setDaemon(true);
            cycling.start();
            try {
                long batched = messages - messages / 5;
                traffic.batches(batched / 2, deadline);
                realBrokerFirst.run();
                traffic.batches(batched - batched / 2, deadline);
                int connected = cycles.get();
                JitBacklog.awaitBelow(1, deadline); // what the traffic asked for, compiled before the storm
                connected += ConnectionWarmUp.hold(loops, address, held, deadline);
                traffic.paced(messages / 5, deadline);
                return new Result(traffic.sent(), connected, (System.nanoTime() - start) / 1_000_000);
            } catch (ExecutionException e) {
                throw new IllegalStateException("warm-up connections failed", e.getCause());
            } finally {
                if (!cycles.isDone()) { // the messages failed: stop the cycles before their broker goes
                    cycling.interrupt();
                    cycling.join(2_000);
                }
                traffic.close();
            }
        } finally {
            broker.close();
            authenticator.close();
            registry.close();
        }
    }

    /**
     * Publishes as the daemon's other publishers do, straight into the broker: the broker itself
     * ($SYS topics, retained, with an empty payload now and then, as a cleared value is) and the
     * HTTP and CoAP bridges (no client id; permissions looked up by user name). With MQTT clients
     * only, the daemon's first $SYS publish (default config: at start, then every 10 s) threw the
     * compiled {@code Broker.publish} away ({@code Publisher.isBroker}, -XX:+LogCompilation), and the first
     * real messages paid for it and for {@code Router.route} and {@code TopicTree.match} again:
     * about 200 ms of C2 on the loop's core. Topics no warm-up client subscribes to.
     */
    private static void publishAsTheOthers(Broker broker, long round) {
        byte[] value = round % 8 == 7 ? new byte[0] : Long.toString(round).getBytes(StandardCharsets.US_ASCII);
        broker.publish(Message.of("$SYS/broker/warm-up/" + (round & 3), value, QoS.AT_MOST_ONCE, true),
                Publisher.broker(SysTopics.PROTOCOL));
        boolean http = (round & 1) == 0;
        broker.publish(Message.of("tern/warm-up-bridge/" + (round & 3), new byte[16], QoS.of((int) (round / 2 & 1)),
                false), new Publisher(null, http ? null : "warm-up-user", http ? "http" : "coap"));
    }

    /**
     * Wakes each event loop from another thread, one task at a time, after the throwaway broker
     * is gone. Its teardown leaves the loops idle with no timer pending, a state the warm-up
     * never reached; the JIT threw away the compiled loop there ({@code EpollIoHandler.run} and
     * others, -XX:+LogCompilation) and compiled it again in the first seconds of real traffic, a
     * 15-25 ms compile on the loop's core each time: the slowest messages of a latency run
     * clustered right there. These wake-ups bring the loop back to compiled code before the
     * listeners open; they take about 1 s on one core.
     */
    private static void wakeLoops(EventLoops loops, long deadlineNanos) throws InterruptedException {
        Semaphore ran = new Semaphore(0);
        Runnable task = ran::release;
        for (EventExecutor loop : loops.workers()) {
            // A periodic task in the first half, as the keep-alive sweep is: the warm-up's own
            // sweeps were too few for the profile, and the first real sweep threw the compiled
            // ScheduledFutureTask.run away (its periodic branch, never seen). None in the second
            // half: the loop must also be compiled for waiting with no timer at all.
            ScheduledFuture<?> periodic = loop.scheduleAtFixedRate(() -> { }, PERIODIC_MICROS, PERIODIC_MICROS,
                    TimeUnit.MICROSECONDS);
            try {
                for (int i = 0; i < LOOP_WAKE_UPS && System.nanoTime() < deadlineNanos; i++) {
                    if (i == LOOP_WAKE_UPS / 2) {
                        periodic.cancel(false);
                    }
                    if (i % 4 == 3) {
                        loop.schedule(task, 50, TimeUnit.MICROSECONDS); // woken by its timer, as for a sweep
                    } else {
                        loop.execute(task);
                    }
                    ran.acquire();
                }
            } finally {
                periodic.cancel(false);
            }
        }
    }
}
