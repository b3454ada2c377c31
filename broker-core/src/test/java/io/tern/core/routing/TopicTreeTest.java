package io.tern.core.routing;

import io.tern.core.message.QoS;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.strings;

class TopicTreeTest {

    private static Subscription sub(String filter) {
        return Subscription.of(filter, SubscriptionOptions.of(QoS.AT_LEAST_ONCE), 0);
    }

    private static List<String> match(TopicTree<String> tree, String topic) {
        List<String> clients = new ArrayList<>();
        tree.match(topic, e -> clients.add(e.clientId()));
        return clients;
    }

    @Test
    void dollarTopicsAreNotMatchedByLeadingWildcards_MQTT_4_7_2_1() {
        TopicTree<String> tree = new TopicTree<>(c -> true);
        tree.subscribe("hash", "hash", sub("#"));
        tree.subscribe("plus", "plus", sub("+/monitor/Clients"));
        tree.subscribe("sys", "sys", sub("$SYS/#"));
        tree.subscribe("sysplus", "sysplus", sub("$SYS/monitor/+"));
        assertThat(match(tree, "$SYS/monitor/Clients")).containsExactlyInAnyOrder("sys", "sysplus");
        assertThat(match(tree, "a/monitor/Clients")).containsExactlyInAnyOrder("hash", "plus");
    }

    @Test
    void aLevelKeyHashesAndEqualsAsTheLevelStringWould() {
        qt().withExamples(2000).forAll(strings().allPossible().ofLengthBetween(0, 12),
                        integers().between(0, 12), integers().between(0, 12))
                .checkAssert((topic, a, b) -> {
                    // Any slice of the topic, chosen without rejecting draws.
                    int start = Math.min(a, b) % (topic.length() + 1);
                    int end = start + (Math.max(a, b) - Math.min(a, b)) % (topic.length() - start + 1);
                    String level = topic.substring(start, end);
                    TopicTree.LevelKey key = new TopicTree.LevelKey(topic).at(start, end);
                    assertThat(key.hashCode()).isEqualTo(level.hashCode());
                    assertThat(key.equals(level)).isTrue();
                    assertThat(key.equals(level + "x")).isFalse();
                    assertThat(key.equals("x" + level)).isFalse();
                    if (!level.isEmpty()) {
                        char last = level.charAt(level.length() - 1);
                        String changed = level.substring(0, level.length() - 1) + (char) (last + 1);
                        assertThat(key.equals(changed)).isFalse();
                    }
                });
        TopicTree.LevelKey colliding = new TopicTree.LevelKey("x/Aa/y").at(2, 4);
        assertThat(colliding.hashCode()).isEqualTo("BB".hashCode());
        assertThat(colliding.equals("BB")).isFalse();
    }

    @Test
    void hashMatchesParentLevel_MQTT_4_7_1_2() {
        TopicTree<String> tree = new TopicTree<>(c -> true);
        tree.subscribe("c", "c", sub("sport/tennis/#"));
        assertThat(match(tree, "sport/tennis")).containsExactly("c");
        assertThat(match(tree, "sport/tennis/player1/ranking")).containsExactly("c");
        assertThat(match(tree, "sport")).isEmpty();
    }

    @Test
    void aFilterWithMoreSubscribersThanTheSnapshotHoldsStillMatchesEachOnceAsTheyComeAndGo() {
        TopicTree<String> tree = new TopicTree<>(c -> true);
        Set<String> expected = new java.util.HashSet<>();
        for (int i = 0; i < 2200; i++) {
            tree.subscribe("c" + i, "c" + i, sub(i % 2 == 0 ? "big/topic" : "big/+"));
            expected.add("c" + i);
        }
        tree.subscribe("c0", "c0", sub("big/topic")); // a replacement is not a second entry
        assertThat(match(tree, "big/topic")).hasSize(2200).containsExactlyInAnyOrderElementsOf(expected);
        for (int i = 0; i < 2190; i++) { // both nodes shrink below half the limit, back onto the array
            tree.unsubscribe("c" + i, i % 2 == 0 ? "big/topic" : "big/+");
            expected.remove("c" + i);
        }
        assertThat(match(tree, "big/topic")).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void resubscribingReplacesAndReportsNotNew() {
        TopicTree<String> tree = new TopicTree<>(c -> true);
        assertThat(tree.subscribe("c", "c", sub("a/b"))).isTrue();
        assertThat(tree.subscribe("c", "c", sub("a/b"))).isFalse();
        assertThat(tree.size()).isEqualTo(1);
        assertThat(match(tree, "a/b")).containsExactly("c");
    }

    @Test
    void unsubscribePrunesEmptyNodesSoTheTreeDoesNotGrowWithChurn() {
        TopicTree<String> tree = new TopicTree<>(c -> true);
        tree.subscribe("keep", "keep", sub("churn/keep"));
        for (int i = 0; i < 1000; i++) {
            tree.subscribe("c", "c", sub("churn/" + i + "/x/+"));
            tree.subscribe("d", "d", sub("$share/g/churn/" + i));
            assertThat(tree.unsubscribe("c", "churn/" + i + "/x/+")).isTrue();
            assertThat(tree.unsubscribe("d", "$share/g/churn/" + i)).isTrue();
        }
        assertThat(tree.unsubscribe("c", "churn/1/x/+")).isFalse();
        assertThat(tree.size()).isEqualTo(1);
        assertThat(tree.nodeCount()).isEqualTo(2); // churn, churn/keep
        tree.unsubscribe("keep", "churn/keep");
        assertThat(tree.nodeCount()).isZero();
    }

    @Test
    void sharedGroupSpreadsRoundRobinOverOnlineMembers() {
        Set<String> online = new java.util.HashSet<>(Set.of("m1", "m2", "m3"));
        TopicTree<String> tree = new TopicTree<>(online::contains);
        for (String member : List.of("m1", "m2", "m3", "m4")) {
            tree.subscribe(member, member, sub("$share/workers/jobs/+"));
        }
        tree.subscribe("watcher", "watcher", sub("jobs/#"));
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            List<String> got = match(tree, "jobs/" + i);
            assertThat(got).hasSize(2).contains("watcher");
            got.stream().filter(c -> !c.equals("watcher")).forEach(c -> counts.merge(c, 1, Integer::sum));
        }
        assertThat(counts).containsOnlyKeys("m1", "m2", "m3"); // m4 is offline
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(90, 110));
        online.clear();
        assertThat(match(tree, "jobs/x")).hasSize(2); // nobody online: still one member, to queue for
    }
}
