package io.tern.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.mqtt.MqttDecoder;
import io.netty.handler.codec.mqtt.MqttEncoder;
import io.netty.handler.codec.mqtt.MqttVersion;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * MQTT load generator on Netty's codec. Scenarios: fanin (P publishers, one wildcard subscriber),
 * fanout (one publisher, S subscribers), pairs (N publisher/subscriber pairs), latency (fixed
 * total rate), connections (C idle connections). Prints one summary line of key=value pairs.
 *
 * <pre>java -jar bench/target/tern-bench.jar --port 1883 --scenario fanin --qos 1 --duration 10 [--broker-pid PID]
 *     [--persistent true] [--mqtt 3.1.1|5] [--warm-up-port PORT [--warm-up-seconds 10]] [--latency-log FILE]</pre>
 * {@code --persistent true} gives subscribers persistent sessions (clean session 0), so a
 * durable broker stores every QoS 1/2 message for them before acknowledging it.
 */
public final class LoadGenerator {
    private final Map<String, String> options;
    private final EventLoopGroup group;
    private final boolean epoll = Epoll.isAvailable();

    private LoadGenerator(Map<String, String> options) {
        this.options = options;
        this.group = new MultiThreadIoEventLoopGroup(intOption("threads", 1),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        System.out.println(run(options));
    }

    /**
     * Runs one scenario and returns its summary line. With {@code --warm-up-port}, the scenario
     * first runs against the broker on that port for {@code --warm-up-seconds} (default 10),
     * unreported: the generator is a JVM too, and cold, its own compiler on its one core puts
     * millisecond stalls into the first seconds' latencies whatever broker it measures.
     */
    public static String run(Map<String, String> options) throws Exception {
        String warmUpPort = options.get("warm-up-port");
        if (warmUpPort != null) {
            Map<String, String> warmUp = new HashMap<>(options);
            warmUp.remove("warm-up-port");
            warmUp.remove("broker-pid");
            warmUp.remove("latency-log");
            warmUp.put("port", warmUpPort);
            warmUp.put("duration", options.getOrDefault("warm-up-seconds", "10"));
            runOnce(warmUp);
        }
        return runOnce(options);
    }

    private static String runOnce(Map<String, String> options) throws Exception {
        LoadGenerator generator = new LoadGenerator(options);
        try {
            return generator.run();
        } finally {
            generator.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** {@code --mqtt 3.1.1} (default) or {@code --mqtt 5}: the protocol version of every connection. */
    private MqttVersion mqttVersion() {
        return switch (options.getOrDefault("mqtt", "3.1.1")) {
            case "3.1.1" -> MqttVersion.MQTT_3_1_1;
            case "5" -> MqttVersion.MQTT_5;
            default -> throw new IllegalArgumentException("--mqtt must be 3.1.1 or 5, not " + options.get("mqtt"));
        };
    }

    private String versionName() {
        return mqttVersion() == MqttVersion.MQTT_5 ? "5" : "3.1.1";
    }

    private int intOption(String name, int defaultValue) {
        return Integer.parseInt(options.getOrDefault(name, Integer.toString(defaultValue)));
    }

    private String run() throws Exception {
        String scenario = options.getOrDefault("scenario", "fanin");
        return switch (scenario) {
            case "fanin" -> flow(scenario, intOption("publishers", 10), 1, false);
            case "fanout" -> flow(scenario, 1, intOption("subscribers", 100), false);
            case "pairs" -> flow(scenario, intOption("pairs", 100), intOption("pairs", 100), true);
            case "latency" -> flow(scenario, intOption("publishers", 1), 1, false);
            case "connections" -> connections();
            default -> throw new IllegalArgumentException("unknown scenario " + scenario);
        };
    }

    private BenchClient connect(String clientId, String localHost) throws Exception {
        return connect(clientId, localHost, true);
    }

    private BenchClient connect(String clientId, String localHost, boolean clean) throws Exception {
        BenchClient client = connectAsync(clientId, localHost, clean);
        client.connected.get(10, TimeUnit.SECONDS);
        return client;
    }

    /** Starts a connection; its {@code connected} completes at CONNACK (or fails). */
    private BenchClient connectAsync(String clientId, String localHost, boolean clean) {
        BenchClient client = new BenchClient(clientId, clean, mqttVersion());
        Bootstrap bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new MqttDecoder(1 << 20), MqttEncoder.INSTANCE, client);
                    }
                });
        InetSocketAddress remote = new InetSocketAddress(options.getOrDefault("host", "127.0.0.1"), intOption("port", 1883));
        ChannelFuture connecting;
        if (localHost != null) {
            if (epoll) {
                // Let connect() pick the source port: with bind() picking it, each connect scans the
                // address's ports, slower with every socket left in TIME_WAIT by the last run (at
                // 40,000 of them the rate fell from about 2,000/s to a few hundred: the generator,
                // not the broker, was measured).
                bootstrap.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
            }
            connecting = bootstrap.connect(remote, new InetSocketAddress(localHost, 0));
        } else {
            connecting = bootstrap.connect(remote);
        }
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                client.connected.completeExceptionally(done.cause());
            }
        });
        return client;
    }

    /** fanin / fanout / pairs / latency. */
    private String flow(String scenario, int publisherCount, int subscriberCount, boolean paired) throws Exception {
        int qos = intOption("qos", 0);
        int duration = intOption("duration", 10);
        int payload = intOption("payload", 64);
        int window = intOption("window", 100);
        String run = Long.toString(System.nanoTime(), 36);
        List<BenchClient> subscribers = new ArrayList<>();
        for (int i = 0; i < subscriberCount; i++) {
            BenchClient subscriber = connect("sub-" + run + "-" + i, null,
                    !Boolean.parseBoolean(options.getOrDefault("persistent", "false")));
            String filter = switch (scenario) {
                case "fanin", "latency" -> "bench/" + run + "/+";
                case "fanout" -> "bench/" + run + "/0";
                default -> "bench/" + run + "/" + i;
            };
            subscriber.subscribe(filter, qos);
            subscriber.subscribed.get(10, TimeUnit.SECONDS);
            subscribers.add(subscriber);
        }
        List<BenchClient> publishers = new ArrayList<>();
        for (int i = 0; i < publisherCount; i++) {
            BenchClient publisher = connect("pub-" + run + "-" + i, null);
            publisher.configurePublisher("bench/" + run + "/" + i, qos, window, payload, i);
            publishers.add(publisher);
        }
        String latencyLog = options.get("latency-log");
        if (latencyLog != null) {
            for (BenchClient subscriber : subscribers) {
                onLoop(subscriber, () -> {
                    subscriber.receipts().keepLatencies();
                    return null;
                });
            }
        }
        long cpuBefore = brokerCpuTicks();
        long start = System.nanoTime();
        ScheduledExecutorService ticker = null;
        if (scenario.equals("latency")) {
            int rate = intOption("rate", 1000);
            ticker = Executors.newSingleThreadScheduledExecutor();
            long periodNanos = 1_000_000_000L * publisherCount / rate;
            for (BenchClient publisher : publishers) {
                ticker.scheduleAtFixedRate(publisher::publishOne, 0, periodNanos, TimeUnit.NANOSECONDS);
            }
        } else {
            publishers.forEach(BenchClient::startFlood);
        }
        Thread.sleep(duration * 1000L);
        if (ticker != null) {
            ticker.shutdownNow();
        }
        publishers.forEach(BenchClient::stopFlood);
        double seconds = (System.nanoTime() - start) / 1e9;
        long received = drain(subscribers);
        long cpuAfter = brokerCpuTicks();

        long sent = 0;
        for (BenchClient publisher : publishers) {
            sent += onLoop(publisher, () -> publisher.sent);
        }
        long expected = 0;
        long unique = 0;
        long duplicates = 0;
        long outOfOrder = 0;
        Histogram latency = new Histogram(60_000_000L, 3);
        for (int s = 0; s < subscribers.size(); s++) {
            BenchClient subscriber = subscribers.get(s);
            int index = s;
            long[] counts = onLoop(subscriber, () -> {
                Receipts receipts = subscriber.receipts();
                long u = 0;
                long exp = 0;
                for (int p = 0; p < publishers.size(); p++) {
                    boolean routed = !paired || p == index;
                    if (routed && (!scenario.equals("fanout") || p == 0)) {
                        u += receipts.unique(p);
                        exp += publishers.get(p).sent;
                    }
                }
                latency.add(receipts.latencyMicros);
                return new long[]{u, exp, receipts.duplicates, receipts.outOfOrder};
            });
            unique += counts[0];
            expected += counts[1];
            duplicates += counts[2];
            outOfOrder += counts[3];
        }
        if (latencyLog != null) {
            writeLatencyLog(Path.of(latencyLog), subscribers, start);
        }
        for (BenchClient client : publishers) {
            client.channel().close();
        }
        for (BenchClient client : subscribers) {
            client.channel().close();
        }
        double brokerCpu = brokerCpu(cpuBefore, cpuAfter);
        return String.format(Locale.ROOT, "scenario=%s qos=%d mqtt=%s publishers=%d subscribers=%d payload=%d seconds=%.1f"
                        + " sent=%d expected=%d received=%d lost=%d dup=%d ooo=%d rate=%.0f broker_cpu_s=%.2f"
                        + " per_cpu_s=%.0f p50_us=%d p99_us=%d p999_us=%d max_us=%d",
                scenario, qos, versionName(), publisherCount, subscriberCount, payload, seconds, sent, expected, received,
                expected - unique, duplicates, outOfOrder, received / seconds, brokerCpu,
                brokerCpu > 0 ? received / brokerCpu : 0, latency.getValueAtPercentile(50),
                latency.getValueAtPercentile(99), latency.getValueAtPercentile(99.9), latency.getMaxValue());
    }

    /** Waits until deliveries stop arriving (1 s quiet, 15 s at most); returns all received. */
    private long drain(List<BenchClient> subscribers) throws Exception {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            long total = 0;
            for (BenchClient subscriber : subscribers) {
                total += onLoop(subscriber, () -> subscriber.receipts().received);
            }
            if (total == last) {
                return total;
            }
            last = total;
            Thread.sleep(1000);
        }
        return last;
    }

    /**
     * Every message's latency, for looking into a percentile: when in the run the slow ones were
     * sent (after the run's start, µs) and how slow (µs), one message per line.
     */
    private static void writeLatencyLog(Path file, List<BenchClient> subscribers, long startNanos) throws Exception {
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(file))) {
            // The start as wall-clock time, to line the log up with the broker's (GC, JIT) logs.
            long startEpochMillis = System.currentTimeMillis() - (System.nanoTime() - startNanos) / 1_000_000;
            // And as System.nanoTime (CLOCK_MONOTONIC on Linux), for `perf record -k mono` traces.
            out.println("# start_epoch_ms=" + startEpochMillis + " start_monotonic_ns=" + startNanos
                    + " sent_after_start_us latency_us");
            for (BenchClient subscriber : subscribers) {
                onLoop(subscriber, () -> {
                    subscriber.receipts().writeLatencies(out, startNanos);
                    return null;
                });
            }
        }
    }

    private static <T> T onLoop(BenchClient client, java.util.concurrent.Callable<T> read) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        client.channel().eventLoop().execute(() -> {
            try {
                result.complete(read.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result.get(10, TimeUnit.SECONDS);
    }

    /**
     * C idle connections from 127.0.0.2.. (many source addresses): connect rate and broker RSS.
     * {@code --in-flight K} keeps K connects under way at once (default 1: each waits for the
     * previous CONNACK), as clients reconnecting after a restart would.
     */
    private String connections() throws Exception {
        int count = intOption("connections", 1000);
        int hold = intOption("hold", 10);
        int inFlight = Math.max(1, intOption("in-flight", 1));
        long rssBefore = brokerRssKb();
        long cpuBefore = brokerCpuTicks();
        long start = System.nanoTime();
        List<BenchClient> clients = new ArrayList<>(count);
        Semaphore window = new Semaphore(inFlight);
        AtomicInteger failed = new AtomicInteger();
        for (int i = 0; i < count; i++) {
            if (!window.tryAcquire(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no CONNACK for 10 s with " + inFlight + " connects under way");
            }
            // 4,000 per source address: under the default per-address limit, and far from the ports one
            // address can use.
            String local = "127.0.0." + (2 + i / 4_000 % 250);
            BenchClient client = connectAsync("idle-" + i, local, true);
            client.connected.whenComplete((ok, error) -> {
                if (error != null) {
                    failed.incrementAndGet();
                }
                window.release();
            });
            clients.add(client);
        }
        if (!window.tryAcquire(inFlight, 10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the last connects got no CONNACK within 10 s");
        }
        double connectSeconds = (System.nanoTime() - start) / 1e9;
        long cpuAfter = brokerCpuTicks();
        Thread.sleep(hold * 1000L);
        long rssAfter = brokerRssKb();
        long open = clients.stream().filter(c -> c.channel() != null && c.channel().isActive()).count();
        for (BenchClient client : clients) {
            if (client.channel() != null) {
                client.channel().close();
            }
        }
        return String.format(Locale.ROOT, "scenario=connections connections=%d in_flight=%d failed=%d still_open=%d"
                        + " connect_rate=%.0f/s broker_cpu_s=%.2f broker_cpu_us_per_connect=%.0f"
                        + " broker_rss_before_kb=%d broker_rss_after_kb=%d rss_per_connection_kb=%.2f mqtt=%s",
                count, inFlight, failed.get(), open, count / connectSeconds, brokerCpu(cpuBefore, cpuAfter),
                cpuBefore < 0 ? -1.0 : brokerCpu(cpuBefore, cpuAfter) * 1e6 / count, rssBefore, rssAfter,
                rssBefore < 0 ? -1.0 : (rssAfter - rssBefore) / (double) count, versionName());
    }

    /** Broker CPU seconds between two {@link #brokerCpuTicks} readings, or -1 without --broker-pid. */
    private static double brokerCpu(long ticksBefore, long ticksAfter) {
        return ticksAfter < 0 ? -1 : (ticksAfter - ticksBefore) / 100.0;
    }

    /** utime + stime of the broker in clock ticks (100 per second), or -1 without --broker-pid. */
    private long brokerCpuTicks() throws IOException {
        String pid = options.get("broker-pid");
        if (pid == null) {
            return -1;
        }
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private long brokerRssKb() throws IOException {
        String pid = options.get("broker-pid");
        if (pid == null) {
            return -1;
        }
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

}
