package io.tern.app;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * MQTT packets for the warm-up's clients, written by hand: a client must not run the broker's own
 * codec, whose compiled code it would bend towards client-side packets, and the warm-up needs
 * bytes it can split where it likes. Short packets only (remaining length under 128); no
 * properties.
 */
final class RawPackets {
    static final byte[] PINGREQ = {(byte) 0xC0, 0};
    static final byte[] DISCONNECT = {(byte) 0xE0, 0};

    private RawPackets() {
    }

    /** CONNECT, keep alive 60 s, no credentials; protocol level 4 (v3.1.1) or 5. */
    static byte[] connect(int protocolLevel, String clientId, boolean cleanStart) {
        boolean v5 = protocolLevel == 5;
        return frame(0x10, false, body -> string(body, "MQTT").put((byte) protocolLevel)
                .put((byte) (cleanStart ? 0x02 : 0)).putShort((short) 60), body -> {
            if (v5) {
                body.put((byte) 0); // no properties: a v5 session ends with its connection unless clean start is off
            }
            string(body, clientId);
        });
    }

    static byte[] subscribe(boolean v5, int packetId, String filter, int qos) {
        return frame(0x82, v5, body -> body.putShort((short) packetId), body -> string(body, filter).put((byte) qos));
    }

    static byte[] unsubscribe(boolean v5, int packetId, String filter) {
        return frame(0xA2, v5, body -> body.putShort((short) packetId), body -> string(body, filter));
    }

    /** PUBLISH at QoS 0 or 1 (a packet id only with 1). */
    static byte[] publish(boolean v5, String topic, int qos, int packetId, byte[] payload) {
        return frame(0x30 | qos << 1, v5, body -> {
            string(body, topic);
            if (qos > 0) {
                body.putShort((short) packetId);
            }
        }, body -> body.put(payload));
    }

    /** Packets one after the other, as one write. */
    static byte[] concat(byte[]... packets) {
        int length = 0;
        for (byte[] packet : packets) {
            length += packet.length;
        }
        byte[] all = Arrays.copyOf(packets[0], length);
        for (int i = 1, at = packets[0].length; i < packets.length; at += packets[i].length, i++) {
            System.arraycopy(packets[i], 0, all, at, packets[i].length);
        }
        return all;
    }

    /**
     * The first byte, the remaining length, the variable header, the v5 properties length (none)
     * when asked, and the rest.
     */
    private static byte[] frame(int firstByte, boolean v5Properties, Consumer<ByteBuffer> header,
                                Consumer<ByteBuffer> rest) {
        ByteBuffer body = ByteBuffer.allocate(127);
        header.accept(body);
        if (v5Properties) {
            body.put((byte) 0);
        }
        rest.accept(body);
        byte[] packet = new byte[2 + body.position()];
        packet[0] = (byte) firstByte;
        packet[1] = (byte) body.position();
        System.arraycopy(body.array(), 0, packet, 2, body.position());
        return packet;
    }

    private static ByteBuffer string(ByteBuffer out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        return out.putShort((short) bytes.length).put(bytes);
    }
}
