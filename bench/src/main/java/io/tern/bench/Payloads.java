package io.tern.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/** Payload layout: send time (nanoTime, 8 bytes), publisher id (4), sequence (8), padding. */
final class Payloads {
    static final int HEADER = 20;

    private Payloads() {
    }

    static ByteBuf encode(ByteBufAllocator alloc, int size, int publisherId, long sequence) {
        ByteBuf buf = alloc.buffer(Math.max(size, HEADER));
        buf.writeLong(System.nanoTime());
        buf.writeInt(publisherId);
        buf.writeLong(sequence);
        buf.writeZero(Math.max(size, HEADER) - HEADER);
        return buf;
    }

    static long sentAt(ByteBuf payload) {
        return payload.getLong(payload.readerIndex());
    }

    static int publisher(ByteBuf payload) {
        return payload.getInt(payload.readerIndex() + 8);
    }

    static long sequence(ByteBuf payload) {
        return payload.getLong(payload.readerIndex() + 12);
    }
}
