package io.tern.core.routing;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class TopicsTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "a/b", "/", "a//b", "$SYS/x", " ", "a/b/", "ü/€", "a/\uD83D\uDE00"})
    void validTopicNames(String topic) {
        assertThat(Topics.checkTopicName(topic).isValid()).isTrue();
    }

    @ParameterizedTest(name = "[MQTT-4.7.3-1][MQTT-3.3.2-2] invalid topic name \"{0}\"")
    @ValueSource(strings = {"", "a/+", "a/#", "+", "#", "a+b", "a\u0000b", "a/\uD83D", "\uDE00/a", "a\uD83Db", "\uDE00\uD83D"})
    void invalidTopicNames(String topic) {
        assertThat(Topics.checkTopicName(topic).isValid()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"#", "+", "a/#", "a/+/b", "+/+", "/#", "a//+", "$share/g/a/#", "$share/g/+",
            "$SYS/#", "sport/tennis/player1/#"})
    void validFilters(String filter) {
        assertThat(Topics.checkTopicFilter(filter).isValid()).isTrue();
    }

    @ParameterizedTest(name = "[MQTT-4.7.1-2][MQTT-4.7.1-3][MQTT-4.8.2-1] invalid filter \"{0}\"")
    @ValueSource(strings = {"", "a/#/b", "a#", "#/a", "a+/b", "a/b+", "$share/g", "$share//a", "$share/g+/a",
            "$share/g/", "$share/#/a", "a\u0000", "a/\uD83D/#", "$share/g/\uDE00"})
    void invalidFilters(String filter) {
        assertThat(Topics.checkTopicFilter(filter).isValid()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "", "/", "a//b/", "x/y/z"})
    void levelsKeepEmptyLevels(String topic) {
        assertThat(Topics.levels(topic)).containsExactly(topic.split("/", -1));
    }

    @org.junit.jupiter.api.Test
    void sharedFilterParsing() {
        assertThat(SharedFilter.parse("$share/group/a/b")).isEqualTo(new SharedFilter("group", "a/b"));
        assertThat(SharedFilter.parse("$share/group")).isNull();
        assertThat(SharedFilter.parse("a/b")).isNull();
    }
}
