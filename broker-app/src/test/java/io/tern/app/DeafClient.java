package io.tern.app;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A client that sends one request over and over and reads none of the answers, until the broker
 * stops reading from it; then reads every answer. Small socket buffers on its side, so they fill
 * soon once the broker stops reading.
 */
final class DeafClient implements AutoCloseable {
    private final SocketChannel channel;
    private final AtomicLong sentBytes = new AtomicLong();
    private ByteBuffer requests;
    private int requestLength;

    DeafClient(int port) throws IOException {
        channel = SocketChannel.open();
        channel.setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024);
        channel.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
        channel.connect(new InetSocketAddress("127.0.0.1", port));
    }

    /** Before the flood: a blocking request and its answer of {@code answerLength} bytes. */
    byte[] exchange(byte[] request, int answerLength) throws IOException {
        channel.write(ByteBuffer.wrap(request));
        ByteBuffer answer = ByteBuffer.allocate(answerLength);
        while (answer.hasRemaining()) {
            assertThat(channel.read(answer)).as("closed by the broker").isNotNegative();
        }
        return answer.array();
    }

    /** Before the flood: a blocking request and its answer's head, up to the blank line (HTTP). */
    String exchangeHead(byte[] request) throws IOException {
        channel.write(ByteBuffer.wrap(request));
        StringBuilder head = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            one.clear();
            assertThat(channel.read(one)).as("closed by the broker").isNotNegative();
            head.append((char) one.get(0));
        }
        return head.toString();
    }

    /**
     * Sends {@code request} again and again without reading, until {@code paused} holds. Each poll
     * writes until the socket takes no more; the broker's socket buffers (a few MB over loopback)
     * fill before its own limit is reached, so poll often.
     */
    void sendUntil(byte[] request, Callable<Boolean> paused) throws IOException {
        requestLength = request.length;
        requests = ByteBuffer.allocate(request.length * Math.max(1, 64 * 1024 / request.length));
        while (requests.hasRemaining()) {
            requests.put(request);
        }
        requests.flip();
        channel.configureBlocking(false);
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(1)).until(() -> {
            int written;
            do {
                if (!requests.hasRemaining()) {
                    requests.rewind();
                }
                written = channel.write(requests);
                sentBytes.addAndGet(written);
            } while (written > 0);
            return paused.call();
        });
    }

    long sentBytes() {
        return sentBytes.get();
    }

    /**
     * Finishes the request a partial write may have split, then reads: every request must get
     * {@code answer}, byte for byte, in order.
     */
    void readAllAnswers(byte[] answer) {
        finishRequest();
        ByteBuffer received = ByteBuffer.allocate(64 * 1024 + answer.length);
        byte[] one = new byte[answer.length];
        AtomicLong answered = new AtomicLong();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            sentBytes.addAndGet(channel.write(requests));
            int read;
            while ((read = channel.read(received)) > 0) {
                received.flip();
                while (received.remaining() >= answer.length) {
                    received.get(one);
                    assertThat(one).isEqualTo(answer);
                    answered.incrementAndGet();
                }
                received.compact();
            }
            assertThat(read).as("closed by the broker").isNotNegative();
            return !requests.hasRemaining() && answered.get() == sentBytes.get() / requestLength;
        });
    }

    /** Sends the rest of the request a partial write may have split. */
    private void finishRequest() {
        requests.limit(requests.position() + (requestLength - requests.position() % requestLength) % requestLength);
    }

    /** After the flood: finishes the split request, then sends {@code bytes}, reading nothing. */
    void send(byte[] bytes) {
        finishRequest();
        ByteBuffer rest = ByteBuffer.allocate(requests.remaining() + bytes.length).put(requests).put(bytes).flip();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            channel.write(rest);
            return !rest.hasRemaining();
        });
    }

    /** Reads any number of {@code skipped} answers, then {@code last}; anything else fails. */
    void readPast(byte[] skipped, byte[] last) {
        ByteBuffer received = ByteBuffer.allocate(64 * 1024);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            int read;
            while ((read = channel.read(received)) > 0) {
                received.flip();
                boolean found = skipThenFind(received, skipped, last);
                received.compact();
                if (found) {
                    return true;
                }
            }
            assertThat(read).as("closed by the broker").isNotNegative();
            return false;
        });
    }

    /** True once {@code last} follows the skipped answers, false while more bytes are needed. */
    private static boolean skipThenFind(ByteBuffer received, byte[] skipped, byte[] last) {
        while (received.remaining() >= Math.max(skipped.length, last.length)
                || received.remaining() >= skipped.length && startsWith(received, skipped)) {
            if (startsWith(received, skipped)) {
                received.position(received.position() + skipped.length);
                continue;
            }
            assertThat(startsWith(received, last)).as("an answer other than the expected ones").isTrue();
            received.position(received.position() + last.length);
            return true;
        }
        return false;
    }

    private static boolean startsWith(ByteBuffer buffer, byte[] prefix) {
        if (buffer.remaining() < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (buffer.get(buffer.position() + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
