#!/usr/bin/env python3
"""Sequential MQTT connects with plain sockets: a client that is not a JVM.

The load generator is a JVM on one core and reaches 2,000-5,000 connects/s, so its own speed
decides the connect rate it reports. This client reaches about 12,000/s against Mosquitto on
loopback and times each connect, which shows the broker's stalls (JIT compiles, collections).

    bench/connect-storm.py --port 1883 [--connections 19000] [--pid BROKER_PID]
                           [--gap-us 0] [--connect-delay-us 0] [--log FILE]

Each client binds a source address 127.0.0.2, .3, ... (4,000 each), connects, sends a v3.1.1
CONNECT (clean session, keep alive 60 s) and waits for CONNACK; all stay open until the end.
--gap-us waits between clients (a slower client); --connect-delay-us waits between the TCP
connect and the CONNECT, so the broker goes idle after the accept, as with the load generator.
--log writes "start_ms tcp_connect_us connack_us" per client, after a "# start_epoch=" header
(wall-clock seconds) to line up with the broker's -Xlog output. Prints one summary line; with
--pid, the broker's RSS growth per connection (VmRSS before the first connect and after the last).
"""
import argparse
import socket
import time

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: the port is picked at connect, not at bind


def connect_packet(client_id):
    payload = len(client_id).to_bytes(2, "big") + client_id
    variable_header = b"\x00\x04MQTT\x04\x02\x00\x3c"  # v3.1.1, clean session, keep alive 60
    remaining = len(variable_header) + len(payload)
    assert remaining < 128
    return bytes([0x10, remaining]) + variable_header + payload


def rss_kb(pid):
    if pid is None:
        return None
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def busy_wait(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=19000)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--gap-us", type=float, default=0)
    parser.add_argument("--connect-delay-us", type=float, default=0)
    parser.add_argument("--log")
    args = parser.parse_args()

    rss_before = rss_kb(args.pid)
    sockets, starts, tcp_times, connack_times = [], [], [], []
    epoch = time.time()
    began = time.perf_counter()
    for i in range(args.connections):
        if args.gap_us:
            busy_wait(args.gap_us / 1e6)
        sock = socket.socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((f"127.0.0.{2 + i // 4000}", 0))
        start = time.perf_counter()
        sock.connect((args.host, args.port))
        connected = time.perf_counter()
        if args.connect_delay_us:
            busy_wait(args.connect_delay_us / 1e6)
            connected = time.perf_counter()
        sock.sendall(connect_packet(f"storm-{i}".encode()))
        answer = sock.recv(4)
        done = time.perf_counter()
        if len(answer) < 4 or answer[0] != 0x20 or answer[3] != 0:
            raise SystemExit(f"client {i}: no successful CONNACK ({answer!r})")
        sockets.append(sock)
        starts.append(start - began)
        tcp_times.append(connected - start)
        connack_times.append(done - connected)
    elapsed = time.perf_counter() - began
    rss_after = rss_kb(args.pid)

    totals = [a + b for a, b in zip(tcp_times, connack_times)]
    slow = [t for t in totals if t > 0.0005]
    line = (f"connections={args.connections} rate={args.connections / elapsed:.0f}/s"
            f" connack_p50_us={percentile(connack_times, 0.5) * 1e6:.0f}"
            f" connack_p99_us={percentile(connack_times, 0.99) * 1e6:.0f}"
            f" connack_mean_us={sum(connack_times) / len(connack_times) * 1e6:.0f}"
            f" slow_connects={len(slow)} slow_seconds={sum(slow):.2f}")
    if rss_before is not None and rss_after is not None:
        line += f" rss_per_connection_kb={(rss_after - rss_before) / args.connections:.2f}"
    print(line)
    if args.log:
        with open(args.log, "w") as log:
            log.write(f"# start_epoch={epoch:.6f}\n")
            for start, tcp, connack in zip(starts, tcp_times, connack_times):
                log.write(f"{start * 1e3:.1f} {tcp * 1e6:.0f} {connack * 1e6:.0f}\n")
    for sock in sockets:
        sock.close()


if __name__ == "__main__":
    main()
