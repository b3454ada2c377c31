package io.tern.bridge.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.AuthenticationOutcome;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A request is in progress while the broker works on it (here: a password check that has not
 * answered); past the limit, 503. Answers a client has not read yet hold no slot: one client that
 * does not read must not refuse everyone else.
 */
class ConcurrencyLimitTest {
    /** Password checks that answer only when the test completes them. */
    private final List<CompletableFuture<AuthenticationOutcome>> checks = new ArrayList<>();
    private final Authenticator heldChecks = credentials -> {
        CompletableFuture<AuthenticationOutcome> check = new CompletableFuture<>();
        checks.add(check);
        return check;
    };
    private final Broker broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(),
            new InMemorySessionStore(), heldChecks, Authorizer.allowAll(), new SimpleMeterRegistry(),
            System::currentTimeMillis);
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void close() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        broker.close();
    }

    /** Records every response; holds every write's completion, like a client that does not read. */
    private static final class Client extends ChannelOutboundHandlerAdapter {
        final List<ChannelPromise> pending = new ArrayList<>();
        final List<Integer> statuses = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            FullHttpResponse response = (FullHttpResponse) msg;
            statuses.add(response.status().code());
            response.release();
            pending.add(promise);
        }
    }

    private EmbeddedChannel connect(Client client, HttpBridgeHandler handler) {
        EmbeddedChannel channel = new EmbeddedChannel(client, handler);
        channels.add(channel);
        return channel;
    }

    private static FullHttpRequest publish() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/publish/t",
                Unpooled.copiedBuffer("hello", StandardCharsets.UTF_8));
        request.headers().set(HttpHeaderNames.AUTHORIZATION,
                "Basic " + Base64.getEncoder().encodeToString("alice:secret".getBytes(StandardCharsets.UTF_8)));
        return request;
    }

    @Test
    void requestsBeyondTheLimitGet503WhileOthersAreBeingWorkedOn() {
        HttpBridgeHandler handler = new HttpBridgeHandler(broker, () -> new HealthReport(true, Map.of()), () -> "", 2, true);
        Client first = new Client();
        Client second = new Client();
        Client third = new Client();
        EmbeddedChannel one = connect(first, handler);
        EmbeddedChannel two = connect(second, handler);
        EmbeddedChannel three = connect(third, handler);
        one.writeInbound(publish());
        two.writeInbound(publish());
        three.writeInbound(publish());
        assertThat(checks).hasSize(2);
        assertThat(third.statuses).containsExactly(503);

        checks.forEach(check -> check.complete(new AuthenticationOutcome.Allowed("alice")));
        one.runPendingTasks();
        two.runPendingTasks();
        assertThat(first.statuses).containsExactly(200);
        assertThat(second.statuses).containsExactly(200);

        three.writeInbound(publish()); // the same credentials are now known: no check, no wait
        assertThat(third.statuses).containsExactly(503, 200);
    }

    @Test
    void answersAClientHasNotReadHoldNoSlot() {
        HttpBridgeHandler handler = new HttpBridgeHandler(broker, () -> new HealthReport(true, Map.of()), () -> "", 2, false);
        Client deaf = new Client();
        Client other = new Client();
        EmbeddedChannel deafChannel = connect(deaf, handler);
        for (int i = 0; i < 5; i++) {
            deafChannel.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"));
        }
        connect(other, handler).writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/health"));
        assertThat(deaf.pending).hasSize(5).noneMatch(ChannelPromise::isDone);
        assertThat(deaf.statuses).containsOnly(200);
        assertThat(other.statuses).containsExactly(200);
    }
}
