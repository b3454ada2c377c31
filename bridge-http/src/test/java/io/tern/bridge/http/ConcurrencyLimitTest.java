package io.tern.bridge.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A request is in progress until its response is written; past the limit, 503. */
class ConcurrencyLimitTest {
    private final Broker broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(),
            new InMemorySessionStore(), Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(),
            System::currentTimeMillis);

    @AfterEach
    void close() {
        broker.close();
    }

    /** Holds every write's completion, like a client that does not read its responses. */
    private static final class SlowClient extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> pending = new ArrayList<>();
        final List<FullHttpResponse> responses = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            responses.add((FullHttpResponse) msg);
            pending.add(promise);
        }
    }

    @Test
    void requestsBeyondTheLimitGet503UntilResponsesAreWritten() {
        SlowClient client = new SlowClient();
        HttpBridgeHandler handler = new HttpBridgeHandler(broker, () -> new HealthReport(true, Map.of()), () -> "", 2, false);
        EmbeddedChannel channel = new EmbeddedChannel(client, handler);
        for (int i = 0; i < 3; i++) {
            channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"));
        }
        assertThat(client.responses).extracting(r -> r.status().code()).containsExactly(200, 200, 503);
        client.pending.forEach(ChannelPromise::setSuccess); // the client read them
        channel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"));
        assertThat(client.responses.get(3).status().code()).isEqualTo(200);
        client.responses.forEach(FullHttpResponse::release);
        channel.finishAndReleaseAll();
    }
}
