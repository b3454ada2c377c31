package io.tern.core.message;

import java.util.Objects;

/** An MQTT 5 user property: an ordered, repeatable name/value pair forwarded unchanged. */
public record UserProperty(String name, String value) {
    public UserProperty {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
