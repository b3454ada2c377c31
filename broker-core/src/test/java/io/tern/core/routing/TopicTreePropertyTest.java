package io.tern.core.routing;

import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.storage.InMemoryRetainedStore;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * The trie against {@link NaiveMatcher} on random filters and topics over a tiny alphabet, so
 * that collisions, empty levels, '$' topics, wildcards and shared groups all come up often, and
 * levels whose hash codes collide or that are not ASCII.
 */
class TopicTreePropertyTest {

    // "Aa" and "BB" share a hash code; "ü" and "日本" are stored as Latin-1 and as UTF-16 strings.
    private static final String[] TOPIC_LEVELS = {"a", "b", "", "$SYS", "$x", "c", "Aa", "BB", "ü", "日本"};
    private static final String[] FILTER_LEVELS = {"a", "b", "", "$SYS", "+", "c", "$x", "Aa", "BB", "ü", "日本"};

    private static Gen<String> topics() {
        return lists().of(Generate.pick(List.of(TOPIC_LEVELS))).ofSizeBetween(1, 4)
                .map(levels -> String.join("/", levels));
    }

    private static Gen<String> filters() {
        Gen<String> plain = lists().of(Generate.pick(List.of(FILTER_LEVELS))).ofSizeBetween(1, 4)
                .zip(Generate.booleans(), (levels, hash) -> {
                    List<String> all = new ArrayList<>(levels);
                    if (hash) {
                        all.add("#");
                    }
                    return String.join("/", all);
                });
        return plain.zip(integers().between(0, 3), (filter, share) ->
                share == 0 ? "$share/g" + (filter.length() % 2) + "/" + filter : filter);
    }

    record Sub(String client, String filter) {
    }

    private static Gen<List<Sub>> subscriptions() {
        return lists().of(filters().zip(integers().between(0, 5), (f, c) -> new Sub("c" + c, f)))
                .ofSizeBetween(0, 25);
    }

    @Test
    void matchesLikeTheReferenceMatcher() {
        qt().withExamples(3000).forAll(subscriptions(), lists().of(topics()).ofSizeBetween(1, 5),
                        lists().of(Generate.booleans()).ofSize(25))
                .checkAssert((subs, topicList, unsubscribeMask) -> {
                    TopicTree<String> tree = new TopicTree<>(client -> true);
                    Map<String, Sub> live = new HashMap<>(); // key: client + raw filter
                    for (Sub sub : subs) {
                        tree.subscribe(sub.client(), sub.client(),
                                Subscription.of(sub.filter(), SubscriptionOptions.of(QoS.AT_MOST_ONCE), 0));
                        live.put(sub.client() + "|" + sub.filter(), sub);
                    }
                    int i = 0;
                    for (Sub sub : subs) {
                        if (unsubscribeMask.get(i++ % unsubscribeMask.size())
                                && live.remove(sub.client() + "|" + sub.filter()) != null) {
                            assertThat(tree.unsubscribe(sub.client(), sub.filter())).isTrue();
                        }
                    }
                    assertThat(tree.size()).isEqualTo(live.size());
                    for (String topic : topicList) {
                        assertMatches(tree, live.values(), topic);
                    }
                });
    }

    private static void assertMatches(TopicTree<String> tree, java.util.Collection<Sub> live, String topic) {
        Set<String> expectedPlain = new HashSet<>();
        Set<String> expectedGroups = new HashSet<>();
        Map<String, Set<String>> groupMembers = new HashMap<>();
        for (Sub sub : live) {
            SharedFilter shared = SharedFilter.parse(sub.filter());
            String filter = shared == null ? sub.filter() : shared.filter();
            if (!NaiveMatcher.matches(filter, topic)) {
                continue;
            }
            if (shared == null) {
                expectedPlain.add(sub.client() + "|" + filter);
            } else {
                String group = shared.group() + "|" + filter;
                expectedGroups.add(group);
                groupMembers.computeIfAbsent(group, g -> new HashSet<>()).add(sub.client());
            }
        }
        Set<String> actualPlain = new HashSet<>();
        List<String> actualGroups = new ArrayList<>();
        tree.match(topic, entry -> {
            Subscription s = entry.subscription();
            if (s.isShared()) {
                String group = s.shareGroup() + "|" + s.filter();
                actualGroups.add(group);
                assertThat(groupMembers.get(group)).contains(entry.clientId());
            } else {
                assertThat(actualPlain.add(entry.clientId() + "|" + s.filter())).isTrue();
            }
        });
        assertThat(actualPlain).as("plain matches of %s", topic).isEqualTo(expectedPlain);
        // Exactly one member per matching shared group.
        assertThat(actualGroups).as("shared matches of %s", topic).hasSize(expectedGroups.size());
        assertThat(new HashSet<>(actualGroups)).isEqualTo(expectedGroups);
    }

    @Test
    void retainedStoreMatchesLikeTheReferenceMatcher() {
        qt().withExamples(2000).forAll(lists().of(topics()).ofSizeBetween(0, 20), filters(),
                        lists().of(topics()).ofSizeBetween(0, 5))
                .checkAssert((retainedTopics, rawFilter, removed) -> {
                    SharedFilter shared = SharedFilter.parse(rawFilter);
                    String filter = shared == null ? rawFilter : shared.filter();
                    InMemoryRetainedStore store = new InMemoryRetainedStore();
                    Set<String> expectedTopics = new HashSet<>(retainedTopics);
                    for (String topic : retainedTopics) {
                        store.put(Message.of(topic, new byte[]{1}, QoS.AT_MOST_ONCE, true));
                    }
                    for (String topic : removed) {
                        store.remove(topic);
                        expectedTopics.remove(topic);
                    }
                    assertThat(store.size()).isEqualTo(expectedTopics.size());
                    Set<String> expected = new HashSet<>();
                    for (String topic : expectedTopics) {
                        if (NaiveMatcher.matches(filter, topic)) {
                            expected.add(topic);
                        }
                    }
                    Set<String> actual = new HashSet<>();
                    store.match(filter, 0, m -> assertThat(actual.add(m.topic())).isTrue());
                    assertThat(actual).as("retained matching %s", filter).isEqualTo(expected);
                });
    }
}
