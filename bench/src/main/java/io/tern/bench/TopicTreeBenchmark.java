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
 * Matching one publish against N subscriptions: 80% exact filters, 10% with '+', 10% with '#',
 * over a tree of fleet/site/device/metric topics.
 * <pre>java -cp bench/target/tern-bench.jar org.openjdk.jmh.Main TopicTreeBenchmark -p subscriptions=1000000</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TopicTreeBenchmark {
    private static final SubscriptionOptions OPTIONS = SubscriptionOptions.of(QoS.AT_LEAST_ONCE);

    @Param({"10000", "100000", "1000000"})
    public int subscriptions;

    private TopicTree<String> tree;
    private String[] topics;
    private int next;

    @Setup(Level.Trial)
    public void build() {
        tree = new TopicTree<>(subscriber -> true);
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < subscriptions; i++) {
            String site = "site" + random.nextInt(100);
            String device = "dev" + random.nextInt(1000);
            String metric = "m" + random.nextInt(20);
            int kind = random.nextInt(10);
            String filter = kind < 8 ? "fleet/" + site + "/" + device + "/" + metric
                    : kind == 8 ? "fleet/" + site + "/+/" + metric
                    : "fleet/" + site + "/" + device + "/#";
            tree.subscribe("c" + i, "c" + i, Subscription.of(filter, OPTIONS, 0));
        }
        topics = new String[4096];
        for (int i = 0; i < topics.length; i++) {
            topics[i] = "fleet/site" + random.nextInt(100) + "/dev" + random.nextInt(1000) + "/m" + random.nextInt(20);
        }
    }

    @Benchmark
    public void match(Blackhole sink) {
        String topic = topics[next++ & (topics.length - 1)];
        tree.match(topic, sink::consume);
    }
}
