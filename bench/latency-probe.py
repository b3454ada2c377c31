#!/usr/bin/env python3
"""Latency at a fixed rate from a client that is not a JVM: one publisher, one subscriber.

The load generator is a JVM, warmed up and on C1 for its latency runs, so that its own stalls stay
below the brokers' differences. An outside harness may be slower (an interpreted client has a p99
of a millisecond or more), and a broker can interact with such a client differently (Nagle,
delayed ACKs, how packets are split into segments). This probe is such a client: plain sockets,
one thread, MQTT 3.1.1, standard library only.

    bench/latency-probe.py --port 1883 [--qos 0|1] [--rate 1000] [--seconds 10] [--payload 64]
                           [--no-nodelay] [--latency-log FILE]

The publisher sends PUBLISH on "probe/latency" at the rate (paced by the clock, not by replies;
at QoS 1 it keeps at most 100 unacknowledged); the subscriber acknowledges QoS 1 copies. Each
payload carries a sequence number and the send time (time.perf_counter_ns). Prints one line:
sent, received, lost, duplicated, out of order, and p50/p90/p99/p99.9/max latency in µs.
--no-nodelay leaves Nagle's algorithm on in both client sockets, as some client libraries do.
--latency-log writes every message as the load generator's --latency-log does ("sent_after_start_us
latency_us" after a header with start_monotonic_ns; time.perf_counter_ns is CLOCK_MONOTONIC here),
which bench/broker-share.py --client probe lines up with the broker's system calls.
"""
import argparse
import selectors
import socket
import struct
import time

TOPIC = b"probe/latency"


def encode_length(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def packet(first_byte, body):
    return bytes([first_byte]) + encode_length(len(body)) + body


def connect_packet(client_id):
    return packet(0x10, b"\x00\x04MQTT\x04\x02\x00\x3c" + struct.pack(">H", len(client_id)) + client_id)


class Reader:
    """Splits a socket's bytes into MQTT packets: (first byte, body)."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()

    def packets(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("broker closed the connection")
        self.buffer += data
        while True:
            if len(self.buffer) < 2:
                return
            length, multiplier, i = 0, 1, 1
            while True:
                if i >= len(self.buffer):
                    return
                byte = self.buffer[i]
                length += (byte & 0x7F) * multiplier
                multiplier *= 128
                i += 1
                if not byte & 0x80:
                    break
            if len(self.buffer) < i + length:
                return
            first, body = self.buffer[0], bytes(self.buffer[i:i + length])
            del self.buffer[:i + length]
            yield first, body


def open_client(host, port, client_id, nodelay):
    sock = socket.create_connection((host, port))
    if nodelay:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet(client_id))
    reader = Reader(sock)
    await_packet(reader, 0x20)
    return sock, reader


def await_packet(reader, packet_type, timeout=10.0):
    reader.sock.settimeout(timeout)
    try:
        while True:
            for first, body in reader.packets():
                if first & 0xF0 == packet_type:
                    return body
    finally:
        reader.sock.settimeout(None)


def percentile(ordered, fraction):
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else -1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--qos", type=int, choices=(0, 1), default=0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--payload", type=int, default=64)
    parser.add_argument("--no-nodelay", action="store_true")
    parser.add_argument("--latency-log")
    args = parser.parse_args()
    nodelay = not args.no_nodelay

    sub, sub_reader = open_client(args.host, args.port, b"probe-sub", nodelay)
    sub.sendall(packet(0x82, struct.pack(">H", 1) + struct.pack(">H", len(TOPIC)) + TOPIC + bytes([args.qos])))
    await_packet(sub_reader, 0x90)
    pub, pub_reader = open_client(args.host, args.port, b"probe-pub", nodelay)
    for sock in (sub, pub):
        sock.setblocking(False)

    selector = selectors.DefaultSelector()
    selector.register(sub, selectors.EVENT_READ, "sub")
    selector.register(pub, selectors.EVENT_READ, "pub")
    padding = b"\x00" * max(0, args.payload - 16)
    interval = 1_000_000_000 // args.rate
    total = int(args.rate * args.seconds)
    latencies_ns = []
    log_rows = []
    seen = set()
    duplicated = out_of_order = 0
    last_seq = -1
    unacked = 0
    sent = 0
    packet_id = 0
    start = time.perf_counter_ns()
    next_send = start
    drain_until = None
    while True:
        now = time.perf_counter_ns()
        if sent < total and now >= next_send and (args.qos == 0 or unacked < 100):
            body = struct.pack(">H", len(TOPIC)) + TOPIC
            if args.qos == 1:
                packet_id = packet_id % 65535 + 1
                body += struct.pack(">H", packet_id)
                unacked += 1
            body += struct.pack(">qq", sent, time.perf_counter_ns()) + padding
            pub.sendall(packet(0x30 | args.qos << 1, body))
            sent += 1
            next_send += interval
            continue
        if sent >= total and drain_until is None:
            drain_until = now + 1_000_000_000
        if drain_until is not None and (now >= drain_until or len(seen) >= total):
            break
        wait_ns = (next_send - now) if sent < total else (drain_until - now)
        ready = selector.select(max(0.0, wait_ns / 1e9))
        # Every copy in this batch arrived before select returned: timed here, not after the
        # Python work on the others (the publisher's PUBACK may come first in the list).
        woke_ns = time.perf_counter_ns()
        for key, _ in ready:
            if key.data == "pub":
                for first, _body in pub_reader.packets():
                    if first & 0xF0 == 0x40:
                        unacked -= 1
                continue
            for first, body in sub_reader.packets():
                if first & 0xF0 != 0x30:
                    continue
                topic_length = struct.unpack_from(">H", body)[0]
                offset = 2 + topic_length
                if first & 0x06:
                    sub.sendall(packet(0x40, body[offset:offset + 2]))
                    offset += 2
                seq, sent_ns = struct.unpack_from(">qq", body, offset)
                if seq in seen:
                    duplicated += 1
                    continue
                seen.add(seq)
                if seq < last_seq:
                    out_of_order += 1
                last_seq = max(last_seq, seq)
                latencies_ns.append(woke_ns - sent_ns)
                log_rows.append((sent_ns - start, woke_ns - sent_ns))
    for sock in (sub, pub):
        try:
            sock.setblocking(True)
            sock.sendall(b"\xe0\x00")  # DISCONNECT
        except OSError:
            pass
        sock.close()
    if args.latency_log:
        with open(args.latency_log, "w") as log:
            log.write(f"# start_monotonic_ns={start} sent_after_start_us latency_us\n")
            for after_start_ns, latency_ns in sorted(log_rows):
                log.write(f"{after_start_ns // 1000} {latency_ns // 1000}\n")
    ordered = sorted(latencies_ns)
    us = lambda fraction: percentile(ordered, fraction) // 1000
    print(f"probe qos={args.qos} rate={args.rate} nodelay={str(nodelay).lower()} sent={sent} "
          f"received={len(seen)} lost={total - len(seen)} dup={duplicated} ooo={out_of_order} "
          f"p50_us={us(0.5)} p90_us={us(0.9)} p99_us={us(0.99)} p999_us={us(0.999)} "
          f"max_us={(ordered[-1] // 1000) if ordered else -1}")


if __name__ == "__main__":
    main()
