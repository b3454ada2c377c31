package io.tern.bridge.http;

import io.tern.core.message.Message;

/** A publish request read from HTTP: the message, or what is wrong with it. */
sealed interface PublishRequest {

    record Valid(Message message) implements PublishRequest {
    }

    /** @param field the request field at fault (a JSON field, a query parameter, "topic", "body") */
    record Invalid(int status, String field, String message) implements PublishRequest {
    }

    static Invalid badRequest(String field, String message) {
        return new Invalid(400, field, message);
    }
}
