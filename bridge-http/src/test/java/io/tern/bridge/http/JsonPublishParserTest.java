package io.tern.bridge.http;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class JsonPublishParserTest {
    private final JsonPublishParser parser = new JsonPublishParser();

    private PublishRequest.Invalid invalid(byte[] body) {
        PublishRequest parsed = parser.parse(body, 0);
        assertThat(parsed).isInstanceOf(PublishRequest.Invalid.class);
        return (PublishRequest.Invalid) parsed;
    }

    @Test
    void aTopicOver65535BytesIsRefusedAsTheTopicField() {
        String body = "{\"topic\":\"" + "t".repeat(65_536) + "\"}";
        PublishRequest.Invalid invalid = invalid(body.getBytes(StandardCharsets.UTF_8));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.field()).isEqualTo("topic");
        assertThat(invalid.message()).contains("65535");
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedAsTheBody() {
        byte[] body = {'{', '"', 't', 'o', 'p', 'i', 'c', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        PublishRequest.Invalid invalid = invalid(body);
        assertThat(invalid.field()).isEqualTo("body");
        assertThat(invalid.message()).contains("not valid JSON");
    }

    @Test
    void duplicateFieldsAreRefused() {
        assertThat(invalid("{\"topic\":\"a\",\"topic\":\"b\"}".getBytes(StandardCharsets.UTF_8)).field()).isEqualTo("body");
    }

    @Test
    void aValidRequestCarriesEveryField() {
        PublishRequest parsed = parser.parse(("{\"topic\":\"a/b\",\"payload\":\"x\",\"qos\":2,\"retain\":true,"
                + "\"message_expiry_interval\":10}").getBytes(StandardCharsets.UTF_8), 1_000);
        var message = ((PublishRequest.Valid) parsed).message();
        assertThat(message.topic()).isEqualTo("a/b");
        assertThat(message.qos().value()).isEqualTo(2);
        assertThat(message.retain()).isTrue();
        assertThat(message.expiresAtMillis()).isEqualTo(11_000);
    }
}
