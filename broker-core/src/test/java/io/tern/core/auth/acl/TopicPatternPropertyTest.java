package io.tern.core.auth.acl;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

/**
 * {@link TopicPattern#covers} against its definition: A covers B exactly when every topic B
 * matches, A matches too. Checked over every topic of up to five levels from an alphabet with a
 * level no filter names ("z"), which is enough to find a counterexample when one exists.
 */
class TopicPatternPropertyTest {
    private static final String[] FILTER_LEVELS = {"a", "b", "", "$SYS", "+"};
    private static final String[] TOPIC_LEVELS = {"a", "b", "", "$SYS", "z"};
    private static final List<String[]> ALL_TOPICS = allTopics(5);

    private static List<String[]> allTopics(int depth) {
        List<String[]> result = new ArrayList<>();
        List<List<String>> frontier = List.of(List.of());
        for (int d = 1; d <= depth; d++) {
            List<List<String>> next = new ArrayList<>();
            for (List<String> prefix : frontier) {
                for (String level : TOPIC_LEVELS) {
                    List<String> topic = new ArrayList<>(prefix);
                    topic.add(level);
                    next.add(topic);
                    result.add(topic.toArray(String[]::new));
                }
            }
            frontier = next;
        }
        return result;
    }

    private static Gen<String> filters() {
        return lists().of(Generate.pick(List.of(FILTER_LEVELS))).ofSizeBetween(1, 3)
                .zip(Generate.booleans(), (levels, hash) -> {
                    List<String> all = new ArrayList<>(levels);
                    if (hash) {
                        all.add("#");
                    }
                    return String.join("/", all);
                });
    }

    @Test
    void coversExactlyWhenEveryMatchedTopicIsMatched() {
        qt().withExamples(1500).forAll(filters(), filters()).checkAssert((outer, inner) -> {
            TopicPattern a = new TopicPattern(outer);
            TopicPattern b = new TopicPattern(inner);
            boolean byDefinition = ALL_TOPICS.stream().noneMatch(t -> b.matches(t) && !a.matches(t));
            assertThat(a.covers(inner)).as("%s covers %s", outer, inner).isEqualTo(byDefinition);
        });
    }

    @Test
    void matchingFollowsTheDollarRule() {
        assertThat(new TopicPattern("#").matches("$SYS/broker/load")).isFalse();
        assertThat(new TopicPattern("+/broker/#").matches("$SYS/broker/load")).isFalse();
        assertThat(new TopicPattern("$SYS/#").matches("$SYS/broker/load")).isTrue();
        assertThat(new TopicPattern("a/#").matches("a")).isTrue(); // [MQTT-4.7.1-2] '#' includes the parent
        assertThat(new TopicPattern("a/+").matches("a")).isFalse();
    }
}
