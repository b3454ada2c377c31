package io.tern.bridge.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.message.UserProperty;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code POST /publish} bodies:
 * {@code {"topic": "a/b", "payload": "21.5", "qos": 1, "retain": false}} plus optional
 * {@code payload_encoding} (utf8 | base64) and the MQTT 5 fields {@code user_properties},
 * {@code content_type}, {@code response_topic}, {@code correlation_data},
 * {@code message_expiry_interval}. Unknown fields are refused so that typos do not pass silently.
 */
final class JsonPublishParser {
    private static final Set<String> FIELDS = Set.of("topic", "payload", "payload_encoding", "qos", "retain",
            "user_properties", "content_type", "response_topic", "correlation_data", "message_expiry_interval");
    private static final long MAX_EXPIRY = 0xFFFF_FFFFL;

    private final ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    PublishRequest parse(byte[] body, long nowMillis) {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (JsonProcessingException e) {
            return PublishRequest.badRequest("body", "not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return PublishRequest.badRequest("body", "unreadable body");
        }
        if (root == null || !root.isObject()) {
            return PublishRequest.badRequest("body", "expected a JSON object");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                return PublishRequest.badRequest(name, "unknown field; known: " + String.join(", ", FIELDS.stream().sorted().toList()));
            }
        }
        JsonNode topicNode = root.get("topic");
        if (topicNode == null || topicNode.isNull()) {
            return PublishRequest.badRequest("topic", "missing");
        }
        if (!topicNode.isTextual()) {
            return PublishRequest.badRequest("topic", "must be a string");
        }
        String topic = topicNode.asText();
        if (Topics.checkTopicName(topic) instanceof TopicCheck.Invalid invalid) {
            return PublishRequest.badRequest("topic", invalid.problem());
        }
        String encoding = text(root, "payload_encoding", "utf8");
        if (encoding == null || !(encoding.equals("utf8") || encoding.equals("base64"))) {
            return PublishRequest.badRequest("payload_encoding", "must be \"utf8\" or \"base64\"");
        }
        String payloadText = text(root, "payload", "");
        if (payloadText == null) {
            return PublishRequest.badRequest("payload", "must be a string");
        }
        byte[] payload;
        if (encoding.equals("base64")) {
            try {
                payload = Base64.getDecoder().decode(payloadText);
            } catch (IllegalArgumentException e) {
                return PublishRequest.badRequest("payload", "not valid base64: " + e.getMessage());
            }
        } else {
            payload = payloadText.getBytes(StandardCharsets.UTF_8);
        }
        JsonNode qosNode = root.get("qos");
        int qos = 0;
        if (qosNode != null && !qosNode.isNull()) {
            if (!qosNode.isIntegralNumber() || qosNode.asLong() < 0 || qosNode.asLong() > 2) {
                return PublishRequest.badRequest("qos", "must be 0, 1 or 2");
            }
            qos = qosNode.asInt();
        }
        JsonNode retainNode = root.get("retain");
        boolean retain = false;
        if (retainNode != null && !retainNode.isNull()) {
            if (!retainNode.isBoolean()) {
                return PublishRequest.badRequest("retain", "must be true or false");
            }
            retain = retainNode.asBoolean();
        }
        return withProperties(root, topic, payload, QoS.of(qos), retain, nowMillis);
    }

    private static PublishRequest withProperties(JsonNode root, String topic, byte[] payload, QoS qos, boolean retain,
                                                 long nowMillis) {
        List<UserProperty> userProperties = new ArrayList<>();
        JsonNode users = root.get("user_properties");
        if (users != null && !users.isNull()) {
            if (!users.isObject()) {
                return PublishRequest.badRequest("user_properties", "must be an object of string values");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = users.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (!entry.getValue().isTextual()) {
                    return PublishRequest.badRequest("user_properties", "value of \"" + entry.getKey()
                            + "\" must be a string");
                }
                userProperties.add(new UserProperty(entry.getKey(), entry.getValue().asText()));
            }
        }
        String contentType = text(root, "content_type", null);
        if (root.hasNonNull("content_type") && contentType == null) {
            return PublishRequest.badRequest("content_type", "must be a string");
        }
        String responseTopic = text(root, "response_topic", null);
        if (root.hasNonNull("response_topic")) {
            if (responseTopic == null) {
                return PublishRequest.badRequest("response_topic", "must be a string");
            }
            // [MQTT-3.3.2-14] a Response Topic is a topic name: no wildcards.
            if (Topics.checkTopicName(responseTopic) instanceof TopicCheck.Invalid invalid) {
                return PublishRequest.badRequest("response_topic", invalid.problem());
            }
        }
        String correlation = text(root, "correlation_data", null);
        if (root.hasNonNull("correlation_data") && correlation == null) {
            return PublishRequest.badRequest("correlation_data", "must be a string");
        }
        Long expiry = null;
        JsonNode expiryNode = root.get("message_expiry_interval");
        if (expiryNode != null && !expiryNode.isNull()) {
            if (!expiryNode.isIntegralNumber() || !expiryNode.canConvertToLong() || expiryNode.asLong() < 0
                    || expiryNode.asLong() > MAX_EXPIRY) {
                return PublishRequest.badRequest("message_expiry_interval", "must be an integer from 0 to " + MAX_EXPIRY);
            }
            expiry = expiryNode.asLong();
        }
        MessageProperties properties = new MessageProperties(null, contentType, responseTopic,
                correlation == null ? null : correlation.getBytes(StandardCharsets.UTF_8), userProperties);
        return new PublishRequest.Valid(new Message(topic, payload, qos, retain, properties,
                Message.expiryDeadline(nowMillis, expiry)));
    }

    /** The text of a field, {@code absent} if missing, or null if present but not a string. */
    private static String text(JsonNode root, String field, String absent) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return absent;
        }
        return node.isTextual() ? node.asText() : null;
    }
}
