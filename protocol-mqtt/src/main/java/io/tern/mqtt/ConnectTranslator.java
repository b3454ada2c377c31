package io.tern.mqtt;

import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectPayload;
import io.netty.handler.codec.mqtt.MqttConnectVariableHeader;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttProperties.MqttPropertyType;
import io.netty.handler.codec.mqtt.MqttVersion;
import io.tern.core.BrokerSettings;
import io.tern.core.ReasonCode;
import io.tern.core.auth.Credentials;
import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;
import io.tern.core.session.Session;
import io.tern.core.session.WillMessage;

import java.util.UUID;

/** Turns a decoded CONNECT into a {@link ConnectPlan}, applying the rules of MQTT 3.1.1 and 5.0. */
final class ConnectTranslator {
    private final MqttTailSettings tail;
    private final BrokerSettings broker;

    ConnectTranslator(MqttTailSettings tail, BrokerSettings broker) {
        this.tail = tail;
        this.broker = broker;
    }

    ConnectPlan translate(MqttConnectMessage connect, ClientOrigin origin, long nowMillis, String protocolLabel) {
        MqttConnectVariableHeader header = connect.variableHeader();
        MqttConnectPayload payload = connect.payload();
        MqttVersion version = MqttVersion.fromProtocolNameAndLevel(header.name(), (byte) header.version());
        MqttProperties properties = header.properties();
        boolean v5 = version == MqttVersion.MQTT_5;
        Integer problemInfo = v5 ? Mqtt5Properties.integer(properties, MqttPropertyType.REQUEST_PROBLEM_INFORMATION) : null;
        ProtocolAdapter adapter = ProtocolAdapter.forVersion(version, problemInfo == null || problemInfo != 0);

        if (v5 && Mqtt5Properties.has(properties, MqttPropertyType.AUTHENTICATION_METHOD)) {
            // Enhanced authentication is not offered [MQTT-4.12.0-1].
            return new ConnectPlan.Refuse(adapter, ReasonCode.BAD_AUTHENTICATION_METHOD,
                    "enhanced authentication is not supported");
        }

        boolean cleanStart = header.isCleanSession();
        String clientId = payload.clientIdentifier();
        boolean assigned = false;
        if (clientId == null || clientId.isEmpty()) {
            // [MQTT-3.1.3-6]/[MQTT-3.1.3-7] v3.1.1 assigns an id only with clean session 1;
            // v5 always may and says so with Assigned Client Identifier.
            if (!v5 && (!cleanStart || version == MqttVersion.MQTT_3_1)) {
                return new ConnectPlan.Refuse(adapter, ReasonCode.CLIENT_IDENTIFIER_NOT_VALID,
                        "an empty client id needs clean session");
            }
            clientId = "tern-" + UUID.randomUUID();
            assigned = true;
        }

        long requestedExpiry;
        if (v5) {
            Long expiry = Mqtt5Properties.unsignedInt(properties, MqttPropertyType.SESSION_EXPIRY_INTERVAL);
            requestedExpiry = expiry == null ? 0 : expiry;
        } else {
            requestedExpiry = cleanStart ? 0 : broker.persistentSessionExpirySeconds();
        }
        long sessionExpiry = Math.min(requestedExpiry, broker.maxSessionExpirySeconds());

        int clientReceiveMaximum = broker.maxInflightMessages();
        long clientMaxPacketSize = Long.MAX_VALUE;
        boolean requestResponseInformation = false;
        if (v5) {
            Integer receiveMaximum = Mqtt5Properties.integer(properties, MqttPropertyType.RECEIVE_MAXIMUM);
            if (receiveMaximum != null) {
                if (receiveMaximum == 0) {
                    return new ConnectPlan.Refuse(adapter, ReasonCode.PROTOCOL_ERROR, "Receive Maximum 0");
                }
                clientReceiveMaximum = receiveMaximum;
            } else {
                clientReceiveMaximum = 65_535;
            }
            Long maxPacket = Mqtt5Properties.unsignedInt(properties, MqttPropertyType.MAXIMUM_PACKET_SIZE);
            if (maxPacket != null) {
                if (maxPacket == 0) {
                    return new ConnectPlan.Refuse(adapter, ReasonCode.PROTOCOL_ERROR, "Maximum Packet Size 0");
                }
                clientMaxPacketSize = maxPacket;
            }
            Integer responseInfo = Mqtt5Properties.integer(properties, MqttPropertyType.REQUEST_RESPONSE_INFORMATION);
            requestResponseInformation = responseInfo != null && responseInfo == 1;
        }

        int keepAlive = header.keepAliveTimeSeconds();
        int effectiveKeepAlive = keepAlive;
        if (v5) {
            if (tail.serverKeepAliveSeconds() > 0) {
                effectiveKeepAlive = tail.serverKeepAliveSeconds();
            } else if (keepAlive == 0 || keepAlive > tail.maxKeepAliveSeconds()) {
                effectiveKeepAlive = keepAlive == 0 && tail.maxKeepAliveSeconds() >= 65_535 ? 0
                        : Math.min(keepAlive == 0 ? Integer.MAX_VALUE : keepAlive, tail.maxKeepAliveSeconds());
            }
        }

        WillMessage will = null;
        if (header.isWillFlag()) {
            String willTopic = payload.willTopic();
            if (Topics.checkTopicName(willTopic) instanceof TopicCheck.Invalid invalid) {
                return new ConnectPlan.Refuse(adapter, ReasonCode.TOPIC_NAME_INVALID, "will " + invalid.problem());
            }
            QoS willQos = QoS.of(header.willQos());
            if (willQos.value() > broker.maxQos().value()) {
                return new ConnectPlan.Refuse(adapter, ReasonCode.QOS_NOT_SUPPORTED, "will QoS not supported");
            }
            if (header.isWillRetain() && !broker.retainAvailable()) {
                return new ConnectPlan.Refuse(adapter, ReasonCode.RETAIN_NOT_SUPPORTED, "retain not supported");
            }
            byte[] willPayload = payload.willMessageInBytes() == null ? new byte[0] : payload.willMessageInBytes();
            MessageProperties willProperties = MessageProperties.NONE;
            long willDelay = 0;
            Long willExpiry = null;
            if (v5) {
                MqttProperties wp = payload.willProperties();
                willProperties = Mqtt5Properties.messageProperties(wp);
                if (willProperties.payloadIsUtf8() && !Utf8.isValid(willPayload)) {
                    return new ConnectPlan.Refuse(adapter, ReasonCode.PAYLOAD_FORMAT_INVALID,
                            "will payload is not valid UTF-8");
                }
                Long delay = Mqtt5Properties.unsignedInt(wp, MqttPropertyType.WILL_DELAY_INTERVAL);
                willDelay = delay == null ? 0 : delay;
                willExpiry = Mqtt5Properties.unsignedInt(wp, MqttPropertyType.PUBLICATION_EXPIRY_INTERVAL);
            }
            Message willMessage = new Message(willTopic, willPayload, willQos, header.isWillRetain(), willProperties,
                    Message.NEVER_EXPIRES);
            will = new WillMessage(willMessage, willDelay, willExpiry);
        }

        byte[] password = header.hasPassword() ? payload.passwordInBytes() : null;
        String username = header.hasUserName() ? payload.userName() : null;
        if (origin.verifiedIdentity() != null) {
            username = origin.verifiedIdentity(); // the certificate, not the CONNECT, names the user
        }
        Credentials credentials = new Credentials(clientId, username, password, origin.host(), protocolLabel,
                origin.verifiedIdentity());
        return new ConnectPlan.Accept(adapter, clientId, assigned, cleanStart, sessionExpiry,
                sessionExpiry != requestedExpiry, effectiveKeepAlive, effectiveKeepAlive != keepAlive, will,
                credentials, clientReceiveMaximum, clientMaxPacketSize, requestResponseInformation);
    }
}
