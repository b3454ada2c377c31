package io.tern.core.routing;

/** The result of validating a topic name or filter. */
public sealed interface TopicCheck {
    record Valid() implements TopicCheck {
    }

    record Invalid(String problem) implements TopicCheck {
    }

    Valid VALID = new Valid();

    default boolean isValid() {
        return this instanceof Valid;
    }
}
