package io.tern.bridge.http;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.util.ReferenceCountUtil;
import io.tern.core.Broker;
import io.tern.core.BrokerSettings;
import io.tern.core.auth.Authenticator;
import io.tern.core.auth.Authorizer;
import io.tern.core.storage.InMemoryRetainedStore;
import io.tern.core.storage.InMemorySessionStore;
import io.tern.testing.Fuzz;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated HTTP requests into the bridge's pipeline: no exception escapes, no buffer leaks (a
 * dedicated allocator counts them), every answered request gets a real status, and the bridge
 * answers a well-formed request afterwards.
 */
class HttpFuzzTest {
    private static final String AUTH = "Authorization: Basic YWxpY2U6d29uZGVybGFuZA==\r\n";
    private static final List<String> CORPUS = List.of(
            "POST /publish HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 102\r\n\r\n"
                    + "{\"topic\":\"a/b\",\"payload\":\"aGk=\",\"qos\":1,\"retain\":true,\"properties\":{\"content_type\":\"t\"},\"x\":1}",
            "POST /publish/sensors/t1?qos=2&retain=false HTTP/1.1\r\nHost: x\r\n" + AUTH + "Content-Length: 4\r\n\r\n21.5",
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
            "POST /publish/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /publish/a%2Fb?qos=1&r%zz=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", // seed 197161 found this 500
            "POST /publish HTTP/1.0\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 30\r\n\r\n"
                    + "{\"topic\":\"x\",\"payload\":\"!!\"}  ");

    private final Broker broker = new Broker(BrokerSettings.defaults(), new InMemoryRetainedStore(),
            new InMemorySessionStore(), Authenticator.allowAll(), Authorizer.allowAll(), new SimpleMeterRegistry(),
            System::currentTimeMillis);
    private final UnpooledByteBufAllocator allocator = new UnpooledByteBufAllocator(false);

    @AfterEach
    void close() {
        broker.close();
    }

    private EmbeddedChannel newConnection() {
        HttpBridgeHandler handler = new HttpBridgeHandler(broker, () -> new HealthReport(true, Map.of()),
                () -> "tern_up 1\n", 64, false);
        EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), new HttpServerKeepAliveHandler(),
                new BodyLimit(256), handler);
        channel.config().setAllocator(allocator);
        return channel;
    }

    private static final java.util.regex.Pattern STATUS_LINE = java.util.regex.Pattern.compile("HTTP/1\\.[01] (\\d{3}) ");

    /** Everything the bridge wrote, as text (the codec has encoded the responses). */
    private static String written(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        Object out;
        while ((out = channel.readOutbound()) != null) {
            if (out instanceof ByteBuf buf) {
                text.append(buf.toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(out);
        }
        return text.toString();
    }

    private int answered;

    private void feed(List<byte[]> reads) {
        EmbeddedChannel channel = newConnection();
        try {
            for (byte[] read : reads) {
                if (!channel.isOpen()) {
                    break;
                }
                ByteBuf buf = allocator.heapBuffer(read.length).writeBytes(read);
                channel.pipeline().fireChannelRead(buf);
                channel.pipeline().fireChannelReadComplete();
                channel.runPendingTasks();
                channel.checkException();
            }
            List<String> statuses = STATUS_LINE.matcher(written(channel)).results().map(m -> m.group(1)).toList();
            assertThat(statuses).as("no request ends in an internal error").doesNotContain("500");
            answered += statuses.size();
        } finally {
            channel.close();
            channel.runPendingTasks();
            channel.checkException();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void mutatedRequestsNeitherThrowNorLeakNorFailInternally() {
        Fuzz fuzz = Fuzz.fromSystemProperties();
        List<byte[]> corpus = CORPUS.stream().map(s -> s.getBytes(StandardCharsets.ISO_8859_1)).toList();
        int iterations = Fuzz.iterations(3000);
        fuzz.run(iterations, f -> f.mutate(f.pick(corpus)), input -> feed(fuzz.chunks(input)));
        assertThat(answered).as("most mutated requests still get an answer").isGreaterThan(iterations / 3);
        assertThat(allocator.metric().usedHeapMemory()).as("bytes still allocated").isZero();
        assertThat(allocator.metric().usedDirectMemory()).isZero();

        EmbeddedChannel channel = newConnection();
        channel.writeInbound(allocator.heapBuffer().writeBytes("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII)));
        assertThat(written(channel)).startsWith("HTTP/1.1 200 OK");
        channel.finishAndReleaseAll();
    }

    /** Found by this fuzzer (seed 197161): bad percent-encoding in the query gave 500. */
    @Test
    void badPercentEncodingInTheQueryIsTheClientsMistake() {
        EmbeddedChannel channel = newConnection();
        channel.writeInbound(allocator.heapBuffer().writeBytes(("POST /publish/a?qos=2&ret%ain=false HTTP/1.1\r\n"
                + "Host: x\r\nContent-Length: 1\r\n\r\nx").getBytes(StandardCharsets.US_ASCII)));
        String response = written(channel);
        assertThat(response).startsWith("HTTP/1.1 400 Bad Request").contains("\"field\":\"query\"");
        channel.finishAndReleaseAll();
    }
}
