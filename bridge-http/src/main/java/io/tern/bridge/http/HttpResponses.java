package io.tern.bridge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** JSON and text responses with the headers every response needs. */
final class HttpResponses {
    static final ObjectMapper JSON = new ObjectMapper();

    private HttpResponses() {
    }

    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a response", e);
        }
        return bytes(status, bytes, "application/json");
    }

    static FullHttpResponse text(HttpResponseStatus status, String body, String contentType) {
        return bytes(status, body.getBytes(StandardCharsets.UTF_8), contentType);
    }

    private static FullHttpResponse bytes(HttpResponseStatus status, byte[] body, String contentType) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return response;
    }

    /** {@code {"error": "...", "field": "...", "message": "..."}}; field is omitted when null. */
    static FullHttpResponse error(HttpResponseStatus status, String error, String field, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", error);
        if (field != null) {
            body.put("field", field);
        }
        body.put("message", message);
        return json(status, body);
    }
}
