package io.tern.bridge.http;

import io.tern.core.message.Message;
import io.tern.core.message.QoS;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code POST /publish/{topic...}?qos=1&retain=true}: the topic is the rest of the path
 * (percent-decoded, strictly UTF-8), the body is the payload as is.
 */
final class RawPublishParser {
    static final String PREFIX = "/publish/";

    PublishRequest parse(String rawPath, Map<String, List<String>> query, byte[] body, long nowMillis) {
        String topic;
        try {
            topic = percentDecode(rawPath.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return PublishRequest.badRequest("topic", e.getMessage());
        }
        if (Topics.checkTopicName(topic) instanceof TopicCheck.Invalid invalid) {
            return PublishRequest.badRequest("topic", invalid.problem());
        }
        int qos = 0;
        boolean retain = false;
        for (Map.Entry<String, List<String>> parameter : query.entrySet()) {
            String name = parameter.getKey();
            if (parameter.getValue().size() != 1) {
                return PublishRequest.badRequest(name, "given more than once");
            }
            String value = parameter.getValue().get(0);
            switch (name) {
                case "qos" -> {
                    if (!(value.equals("0") || value.equals("1") || value.equals("2"))) {
                        return PublishRequest.badRequest("qos", "must be 0, 1 or 2");
                    }
                    qos = Integer.parseInt(value);
                }
                case "retain" -> {
                    if (!(value.equals("true") || value.equals("false"))) {
                        return PublishRequest.badRequest("retain", "must be true or false");
                    }
                    retain = Boolean.parseBoolean(value);
                }
                default -> {
                    return PublishRequest.badRequest(name, "unknown query parameter; known: qos, retain");
                }
            }
        }
        return new PublishRequest.Valid(new Message(topic, body, QoS.of(qos), retain, null, Message.NEVER_EXPIRES));
    }

    /** Percent-decoding that refuses malformed escapes and bytes that are not UTF-8. */
    static String percentDecode(String raw) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw new IllegalArgumentException("truncated percent escape");
                }
                int high = Character.digit(raw.charAt(i + 1), 16);
                int low = Character.digit(raw.charAt(i + 2), 16);
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("invalid percent escape");
                }
                bytes.write(high << 4 | low);
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not valid UTF-8");
        }
    }
}
