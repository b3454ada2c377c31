package io.tern.bench;

import io.tern.core.message.QoS;
import io.tern.core.routing.Subscription;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.routing.TopicTree;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Matching one publish against N subscriptions over a tree of fleet/site/device/metric topics,
 * and subscribe/unsubscribe churn on such a tree. Filter mixes:
 * <ul>
 *   <li>{@code mixed}: 70% exact, 10% with '+', 10% with '#', 10% shared exact filters;</li>
 *   <li>{@code exact}, {@code plus} (fleet/site/+/metric), {@code hash} (fleet/site/device/#),
 *       {@code shared} ($share/g0..g9/ exact filters): one kind only.</li>
 * </ul>
 * <pre>java -cp bench/target/tern-bench.jar org.openjdk.jmh.Main TopicTreeBenchmark -p subscriptions=1000000 -p mix=mixed</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g"})
public class TopicTreeBenchmark {
    private static final SubscriptionOptions OPTIONS = SubscriptionOptions.of(QoS.AT_LEAST_ONCE);

    @Param({"10000", "100000", "1000000"})
    public int subscriptions;

    @Param({"mixed", "exact", "plus", "hash", "shared"})
    public String mix;

    private TopicTree<String> tree;
    private String[] topics;
    private int next;
    private SplittableRandom random;
    /** Churn: the filters currently subscribed by client "c" + index, replaced oldest first. */
    private String[] filters;
    private int churnIndex;

    @Setup(Level.Trial)
    public void build() {
        tree = new TopicTree<>(subscriber -> true);
        random = new SplittableRandom(42);
        filters = new String[subscriptions];
        for (int i = 0; i < subscriptions; i++) {
            filters[i] = filter(random);
            tree.subscribe("c" + i, "c" + i, Subscription.of(filters[i], OPTIONS, 0));
        }
        topics = new String[4096];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = "fleet/site" + random.nextInt(100) + "/dev" + random.nextInt(1000) + "/m" + random.nextInt(20);
        }
    }

    private String filter(SplittableRandom random) {
        String site = "site" + random.nextInt(100);
        String device = "dev" + random.nextInt(1000);
        String metric = "m" + random.nextInt(20);
        String kind = switch (mix) {
            case "mixed" -> {
                int roll = random.nextInt(10);
                yield roll < 7 ? "exact" : roll == 7 ? "plus" : roll == 8 ? "hash" : "shared";
            }
            default -> mix;
        };
        return switch (kind) {
            case "exact" -> "fleet/" + site + "/" + device + "/" + metric;
            case "plus" -> "fleet/" + site + "/+/" + metric;
            case "hash" -> "fleet/" + site + "/" + device + "/#";
            case "shared" -> "$share/g" + random.nextInt(10) + "/fleet/" + site + "/" + device + "/" + metric;
            default -> throw new IllegalArgumentException("unknown mix " + mix);
        };
    }

    @Benchmark
    public void match(Blackhole sink) {
        String topic = topics[next++ & (topics.length - 1)];
        tree.match(topic, sink::consume);
    }

    /** One client drops its subscription and takes a new one: the tree's size stays the same. */
    @Benchmark
    public boolean churn() {
        int index = churnIndex;
        churnIndex = index + 1 == filters.length ? 0 : index + 1;
        String clientId = "c" + index;
        tree.unsubscribe(clientId, filters[index]);
        filters[index] = filter(random);
        return tree.subscribe(clientId, clientId, Subscription.of(filters[index], OPTIONS, 0));
    }
}
