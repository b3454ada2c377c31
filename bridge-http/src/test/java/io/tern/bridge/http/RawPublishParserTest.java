package io.tern.bridge.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RawPublishParserTest {

    @Test
    void decodesPercentEscapesAsUtf8() {
        assertThat(RawPublishParser.percentDecode("a%2Fb/%C3%BC%20x")).isEqualTo("a/b/ü x");
    }

    @ParameterizedTest
    @ValueSource(strings = {"%zz", "%2", "%", "%C3%28", "%FF"})
    void refusesMalformedEscapesAndBytesThatAreNotUtf8(String raw) {
        assertThatThrownBy(() -> RawPublishParser.percentDecode(raw)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMalformedTopicIsReportedAsTheTopicField() {
        PublishRequest parsed = new RawPublishParser().parse("/publish/a/%zz", Map.of(), new byte[0], 0);
        assertThat(parsed).isInstanceOf(PublishRequest.Invalid.class);
        assertThat(((PublishRequest.Invalid) parsed).field()).isEqualTo("topic");
    }

    @Test
    void repeatedQueryParametersAreRefused() {
        PublishRequest parsed = new RawPublishParser().parse("/publish/a", Map.of("qos", List.of("1", "2")),
                new byte[0], 0);
        assertThat(((PublishRequest.Invalid) parsed).field()).isEqualTo("qos");
    }
}
