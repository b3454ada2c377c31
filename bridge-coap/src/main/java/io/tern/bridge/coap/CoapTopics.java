package io.tern.bridge.coap;

import io.tern.core.message.QoS;

import java.util.List;

/** Topic and query parsing shared by the publish and subscribe resources. */
final class CoapTopics {
    private CoapTopics() {
    }

    /** The Uri-Path after the resource's own segments: {@code /mqtt/publish/a/b} with skip 2 gives "a/b". */
    static String topicOf(List<String> uriPath, int skip) {
        return uriPath.size() <= skip ? "" : String.join("/", uriPath.subList(skip, uriPath.size()));
    }

    /** Query options of a publish: qos and retain. */
    record PublishOptions(QoS qos, boolean retain, String problem) {
    }

    static PublishOptions publishOptions(List<String> uriQuery) {
        QoS qos = QoS.AT_MOST_ONCE;
        boolean retain = false;
        for (String option : uriQuery) {
            int eq = option.indexOf('=');
            String name = eq < 0 ? option : option.substring(0, eq);
            String value = eq < 0 ? "" : option.substring(eq + 1);
            switch (name) {
                case "qos" -> {
                    if (!(value.equals("0") || value.equals("1") || value.equals("2"))) {
                        return new PublishOptions(qos, retain, "qos must be 0, 1 or 2");
                    }
                    qos = QoS.of(Integer.parseInt(value));
                }
                case "retain" -> {
                    if (!(value.equals("true") || value.equals("false"))) {
                        return new PublishOptions(qos, retain, "retain must be true or false");
                    }
                    retain = Boolean.parseBoolean(value);
                }
                default -> {
                    return new PublishOptions(qos, retain, "unknown query option '" + name + "'; known: qos, retain");
                }
            }
        }
        return new PublishOptions(qos, retain, null);
    }
}
