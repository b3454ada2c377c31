#!/usr/bin/env python3
"""Splits each message's end-to-end latency into the broker's own share and the rest.

The generator's latency (publisher's send timestamp to the subscriber's read) includes two
wake-ups of idle cores and the kernel's loopback path, which on a shared virtual machine move by
a third between runs for any broker. This runs a `latency` scenario against a running broker
while `perf` records the broker's system calls on the CLOCK_MONOTONIC clock the generator's
latency log uses, and matches every message to the broker's wake-up that read it:

  wake      send timestamp -> the broker's epoll wait returns
  broker    epoll return -> the broker's first send after it (the subscriber's copy)
  delivery  that send -> the subscriber read the message (includes the generator's wake-up)

Needs perf (Debian: linux-perf) with access to syscall tracepoints (root, or
kernel.perf_event_paranoid <= -1), and the load generator (bench/target/tern-bench.jar).

  taskset -c 0 mosquitto -c scratch.conf &      # warm-up partner for the generator, port 18835
  bench/broker-share.py --pid PID --port 1883 --qos 1 --warm-up-port 18835
  bench/broker-share.py --pid PID --port 1883 --qos 1 --client probe   # bench/latency-probe.py instead
"""
import argparse
import bisect
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter

WAITS = ("syscalls:sys_exit_epoll_wait", "syscalls:sys_exit_epoll_pwait", "syscalls:sys_exit_epoll_pwait2")
SENDS = ("syscalls:sys_enter_sendto", "syscalls:sys_enter_write", "syscalls:sys_enter_writev",
         "syscalls:sys_enter_sendmsg")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True, help="the broker's process id")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--qos", type=int, default=1)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warm-up-port", type=int, help="warm the generator on this broker first (10 s)")
    parser.add_argument("--generator", default=os.path.join(os.path.dirname(__file__), "target", "tern-bench.jar"))
    parser.add_argument("--generator-cpu", default="1", help="taskset CPU list for the generator")
    parser.add_argument("--client", choices=("generator", "probe"), default="generator",
                        help="the JVM load generator, or latency-probe.py (Python, no warm-up needed)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        latency_log = os.path.join(scratch, "latency.txt")
        trace = os.path.join(scratch, "perf.data")
        if args.client == "probe":
            command = ["taskset", "-c", args.generator_cpu, sys.executable,
                       os.path.join(os.path.dirname(__file__), "latency-probe.py"), "--port", str(args.port),
                       "--qos", str(args.qos), "--rate", str(args.rate), "--seconds", str(args.seconds),
                       "--latency-log", latency_log]
        else:
            command = ["taskset", "-c", args.generator_cpu, "java", "-XX:TieredStopAtLevel=1",
                       "-Dio.netty.leakDetection.level=disabled", "-jar", args.generator, "--port", str(args.port),
                       "--scenario", "latency", "--qos", str(args.qos), "--rate", str(args.rate),
                       "--duration", str(args.seconds), "--broker-pid", str(args.pid), "--latency-log", latency_log]
            if args.warm_up_port:
                command += ["--warm-up-port", str(args.warm_up_port), "--warm-up-seconds", "10"]
        generator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # Record the measured run only, not the generator's start or its warm-up.
        time.sleep((11.5 if args.warm_up_port and args.client == "generator" else 1.5))
        events = [arg for name in WAITS + SENDS for arg in ("-e", name)]
        subprocess.run(["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "-p", str(args.pid), "-o", trace]
                       + events + ["--", "sleep", str(max(1, args.seconds - 3))],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        summary = generator.communicate()[0].strip()
        print(summary.splitlines()[-1] if summary else "generator printed nothing")
        report(trace, latency_log)


def report(trace, latency_log):
    script = subprocess.run(["perf", "script", "-i", trace, "-F", "tid,time,event"],
                            capture_output=True, text=True, check=True).stdout
    line = re.compile(r"^\s*(\d+)\s+([\d.]+):\s+(\S+):")
    events = [m.groups() for m in map(line.match, script.splitlines()) if m]
    waits = Counter(tid for tid, _, event in events if event in WAITS)
    if not waits:
        sys.exit("no epoll waits recorded: is perf allowed to trace system calls?")
    loop = waits.most_common(1)[0][0]  # the thread that carried the messages
    woke, sent = [], []
    for tid, seconds, event in events:
        if tid == loop:
            nanos = int(round(float(seconds) * 1e9))
            (woke if event in WAITS else sent).append(nanos)
    lines = open(latency_log).read().splitlines()
    start = int(re.search(r"start_monotonic_ns=(\d+)", lines[0]).group(1))
    rows = []
    for entry in lines[1:]:
        after_start_us, latency_us = map(int, entry.split())
        send = start + after_start_us * 1000
        if send < woke[0] or send > woke[-1]:
            continue
        wake = woke[bisect.bisect_left(woke, send)]
        first_send = sent[bisect.bisect_left(sent, wake)] if sent and wake <= sent[-1] else None
        if first_send is None or first_send - wake > 2_000_000:
            continue
        rows.append((latency_us, (wake - send) / 1000, (first_send - wake) / 1000,
                     (send + latency_us * 1000 - first_send) / 1000))
    if not rows:
        sys.exit("no message matched a wake-up of the broker's thread")
    rows.sort()
    print(f"messages matched: {len(rows)} (event-loop thread {loop})")
    for column, label in enumerate(("latency", "wake", "broker", "delivery")):
        values = sorted(row[column] for row in rows)
        cuts = "  ".join(f"p{p}={values[min(len(values) - 1, int(len(values) * p / 100))]:.1f}"
                         for p in (50, 90, 99))
        print(f"  {label:9} {cuts} µs")
    around = rows[int(len(rows) * 0.985):int(len(rows) * 0.995)]  # the messages around p99
    means = [sum(row[c] for row in around) / len(around) for c in range(4)]
    print(f"  around p99 ({len(around)} messages): {means[0]:.1f} µs = wake {means[1]:.1f}"
          f" + broker {means[2]:.1f} + delivery {means[3]:.1f}")


if __name__ == "__main__":
    main()
