package io.tern.core.message;

import java.util.List;

/**
 * The MQTT 5 application-message properties that a broker forwards unchanged to subscribers
 * [MQTT-3.3.2-4, 3.3.2-15, 3.3.2-16, 3.3.2-17, 3.3.2-18, 3.3.2-20]. Absent values are null.
 * Message expiry is not here: it is an absolute deadline on {@link Message}.
 */
public record MessageProperties(
        Integer payloadFormatIndicator,
        String contentType,
        String responseTopic,
        byte[] correlationData,
        List<UserProperty> userProperties) {

    public static final MessageProperties NONE = new MessageProperties(null, null, null, null, List.of());

    public MessageProperties {
        userProperties = userProperties == null ? List.of() : List.copyOf(userProperties);
    }

    /** The payload is declared to be UTF-8 text (Payload Format Indicator 1). */
    public boolean payloadIsUtf8() {
        return payloadFormatIndicator != null && payloadFormatIndicator == 1;
    }

    public boolean isEmpty() {
        return payloadFormatIndicator == null && contentType == null && responseTopic == null
                && correlationData == null && userProperties.isEmpty();
    }
}
