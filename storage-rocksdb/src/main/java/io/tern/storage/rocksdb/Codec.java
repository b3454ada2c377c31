package io.tern.storage.rocksdb;

import io.tern.core.message.Message;
import io.tern.core.message.MessageProperties;
import io.tern.core.message.QoS;
import io.tern.core.message.UserProperty;
import io.tern.core.routing.RetainHandling;
import io.tern.core.routing.Subscription;
import io.tern.core.routing.SubscriptionOptions;
import io.tern.core.session.WillMessage;
import io.tern.core.storage.SessionRecord;
import io.tern.core.storage.StoredDelivery;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored byte layouts, each value starting with a layout version byte. Strings are
 * length-prefixed UTF-8 (not modified UTF-8), so any MQTT string round-trips exactly.
 */
final class Codec {
    private static final int VERSION = 1;

    private Codec() {
    }

    // ------------------------------------------------------------------ keys

    /** Topic or client id as key bytes. */
    static byte[] key(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The key prefix of one client's entries: a length, so no client id is a prefix of another's. */
    static byte[] clientPrefix(String clientId) {
        byte[] id = key(clientId);
        return ByteBuffer.allocate(2 + id.length).putShort((short) id.length).put(id).array();
    }

    static byte[] queueKey(String clientId, long seq) {
        byte[] prefix = clientPrefix(clientId);
        return ByteBuffer.allocate(prefix.length + 8).put(prefix).putLong(seq).array();
    }

    static long seqOf(byte[] queueKey) {
        return ByteBuffer.wrap(queueKey, queueKey.length - 8, 8).getLong();
    }

    static byte[] inboundKey(String clientId, int packetId) {
        byte[] prefix = clientPrefix(clientId);
        return ByteBuffer.allocate(prefix.length + 2).put(prefix).putShort((short) packetId).array();
    }

    static int packetIdOf(byte[] inboundKey) {
        return ByteBuffer.wrap(inboundKey, inboundKey.length - 2, 2).getShort() & 0xffff;
    }

    /** The first key after every key starting with {@code prefix} (for range deletes). */
    static byte[] prefixEnd(byte[] prefix) {
        byte[] end = prefix.clone();
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end[i]++;
                return java.util.Arrays.copyOf(end, i + 1);
            }
        }
        return null; // all 0xff: no end; callers use a prefix that never is
    }

    // ------------------------------------------------------------------ values

    static byte[] message(Message message) {
        return write(out -> writeMessage(out, message));
    }

    static Message message(byte[] bytes) {
        return read(bytes, Codec::readMessage);
    }

    static byte[] delivery(StoredDelivery delivery) {
        return write(out -> {
            out.writeBoolean(delivery.released());
            out.writeShort(delivery.subscriptionIdentifiers().size());
            for (int id : delivery.subscriptionIdentifiers()) {
                out.writeInt(id);
            }
            writeMessage(out, delivery.message());
        });
    }

    static StoredDelivery delivery(long seq, byte[] bytes) {
        return read(bytes, in -> {
            boolean released = in.readBoolean();
            int count = in.readUnsignedShort();
            List<Integer> ids = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ids.add(in.readInt());
            }
            return new StoredDelivery(seq, readMessage(in), ids, released);
        });
    }


    static byte[] session(SessionRecord record) {
        return write(out -> {
            out.writeLong(record.expiryIntervalSeconds());
            out.writeLong(record.disconnectedAtMillis());
            writeNullable(out, record.username());
            out.writeInt(record.subscriptions().size());
            for (Subscription subscription : record.subscriptions()) {
                writeString(out, subscription.topicFilter());
                SubscriptionOptions options = subscription.options();
                out.writeByte(options.maxQos().value());
                out.writeBoolean(options.noLocal());
                out.writeBoolean(options.retainAsPublished());
                out.writeByte(options.retainHandling().ordinal()); // RetainHandling.of(int) reads it back
                out.writeInt(subscription.subscriptionIdentifier());
            }
            WillMessage will = record.will();
            out.writeBoolean(will != null);
            if (will != null) {
                writeMessage(out, will.message());
                out.writeLong(will.delaySeconds());
                out.writeLong(will.expiryIntervalSeconds() == null ? -1 : will.expiryIntervalSeconds());
                out.writeLong(record.willDueAtMillis());
            }
        });
    }

    static SessionRecord session(String clientId, byte[] bytes) {
        return read(bytes, in -> {
            long expiry = in.readLong();
            long disconnectedAt = in.readLong();
            String username = readNullable(in);
            int count = in.readInt();
            List<Subscription> subscriptions = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                String filter = readString(in);
                SubscriptionOptions options = new SubscriptionOptions(QoS.of(in.readUnsignedByte()), in.readBoolean(),
                        in.readBoolean(), RetainHandling.of(in.readUnsignedByte()));
                subscriptions.add(Subscription.of(filter, options, in.readInt()));
            }
            WillMessage will = null;
            long willDue = 0;
            if (in.readBoolean()) {
                Message message = readMessage(in);
                long delay = in.readLong();
                long willExpiry = in.readLong();
                will = new WillMessage(message, delay, willExpiry < 0 ? null : willExpiry);
                willDue = in.readLong();
            }
            return new SessionRecord(clientId, expiry, disconnectedAt, subscriptions, username, will, willDue);
        });
    }

    // ------------------------------------------------------------------ helpers

    private static void writeMessage(DataOutputStream out, Message message) throws IOException {
        writeString(out, message.topic());
        writeBytes(out, message.payload());
        out.writeByte(message.qos().value());
        out.writeBoolean(message.retain());
        out.writeLong(message.expiresAtMillis());
        MessageProperties p = message.properties();
        out.writeInt(p.payloadFormatIndicator() == null ? -1 : p.payloadFormatIndicator());
        writeNullable(out, p.contentType());
        writeNullable(out, p.responseTopic());
        out.writeBoolean(p.correlationData() != null);
        if (p.correlationData() != null) {
            writeBytes(out, p.correlationData());
        }
        out.writeShort(p.userProperties().size());
        for (UserProperty property : p.userProperties()) {
            writeString(out, property.name());
            writeString(out, property.value());
        }
    }

    private static Message readMessage(DataInputStream in) throws IOException {
        String topic = readString(in);
        byte[] payload = readBytes(in);
        QoS qos = QoS.of(in.readUnsignedByte());
        boolean retain = in.readBoolean();
        long expiresAt = in.readLong();
        int format = in.readInt();
        String contentType = readNullable(in);
        String responseTopic = readNullable(in);
        byte[] correlation = in.readBoolean() ? readBytes(in) : null;
        int count = in.readUnsignedShort();
        List<UserProperty> users = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            users.add(new UserProperty(readString(in), readString(in)));
        }
        MessageProperties properties = new MessageProperties(format < 0 ? null : format, contentType, responseTopic,
                correlation, users);
        return new Message(topic, payload, qos, retain, properties, expiresAt);
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static void writeNullable(DataOutputStream out, String value) throws IOException {
        out.writeBoolean(value != null);
        if (value != null) {
            writeString(out, value);
        }
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? readString(in) : null;
    }

    private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value.length);
        out.write(value);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > in.available()) {
            throw new IOException("corrupt value: a length of " + length + " with " + in.available() + " bytes left");
        }
        return in.readNBytes(length);
    }

    @FunctionalInterface
    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    @FunctionalInterface
    private interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    private static byte[] write(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            writer.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    private static <T> T read(byte[] bytes, Reader<T> reader) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new StorageException("stored value has layout version " + version + "; this Tern reads "
                        + VERSION);
            }
            return reader.read(in);
        } catch (IOException e) {
            throw new StorageException("corrupt stored value: " + e.getMessage());
        }
    }
}
