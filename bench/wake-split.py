#!/usr/bin/env python3
"""Splits a broker's time per message into waking up and running, from the scheduler's view.

At a low message rate every message wakes the broker's idle core. `perf sched` sees each of the
broker's thread's switches: how long it waited from its wake-up to running (on this virtual
machine mostly the idle CPU leaving its halt), and how long it ran before it slept again (the
broker's own path, system calls included). This runs a `latency` scenario against a running
broker, records `perf sched` on every CPU for part of the measured run, and prints both
distributions for the broker's busiest thread (its event loop), the time its other threads ran,
and what else ran on the broker's CPU in slices over a millisecond (kernel threads such as
kdamond, which a kernel without preemption does not interrupt).

Needs perf (Debian: linux-perf) with access to scheduler tracepoints (root, or
kernel.perf_event_paranoid <= -1), and the load generator (bench/target/tern-bench.jar).

  taskset -c 0 mosquitto -c scratch.conf &      # warm-up partner for the generator, port 18835
  bench/wake-split.py --pid PID --port 1883 --qos 0 --warm-up-port 18835
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

# A slice of another task on the broker's CPU longer than this is listed: a message arriving
# then waits for it.
LONG_SLICE_MS = 1.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid", type=int, required=True, help="the broker's process id")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--qos", type=int, default=0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--record-seconds", type=int, default=7, help="recorded part of the measured run")
    parser.add_argument("--warm-up-port", type=int, help="warm the generator on this broker first (10 s)")
    parser.add_argument("--generator", default=os.path.join(os.path.dirname(__file__), "target", "tern-bench.jar"))
    parser.add_argument("--generator-cpu", default="1", help="taskset CPU list for the generator")
    args = parser.parse_args()
    if args.record_seconds > args.seconds - 2:
        sys.exit("--record-seconds must leave a second at either end of the measured run")

    with tempfile.TemporaryDirectory() as scratch:
        trace = os.path.join(scratch, "sched.data")
        command = ["taskset", "-c", args.generator_cpu, "java", "-XX:TieredStopAtLevel=1",
                   "-Dio.netty.leakDetection.level=disabled", "-jar", args.generator, "--port", str(args.port),
                   "--scenario", "latency", "--qos", str(args.qos), "--rate", str(args.rate),
                   "--duration", str(args.seconds), "--broker-pid", str(args.pid)]
        if args.warm_up_port:
            command += ["--warm-up-port", str(args.warm_up_port), "--warm-up-seconds", "10"]
        generator = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # Record inside the measured run only, not the generator's start or its warm-up.
        time.sleep(12.5 if args.warm_up_port else 2.5)
        subprocess.run(["taskset", "-c", args.generator_cpu, "perf", "sched", "record", "-q", "-a", "-o", trace,
                        "--", "sleep", str(args.record_seconds)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        threads = set(os.listdir(f"/proc/{args.pid}/task"))
        summary = generator.communicate()[0].strip()
        print(summary.splitlines()[-1] if summary else "generator printed nothing")
        history = subprocess.run(["perf", "sched", "timehist", "-i", trace],
                                 capture_output=True, text=True, check=True).stdout
        report(history, threads)


def report(history, threads):
    """history: `perf sched timehist` lines: time [cpu] task[tid(/pid)] wait delay run (ms)."""
    delays, runs, cpus = defaultdict(list), defaultdict(list), defaultdict(set)
    long_slices = defaultdict(list)
    for line in history.splitlines():
        fields = line.split()
        if len(fields) < 6 or not fields[0][0].isdigit() or "[" not in fields[2]:
            continue
        task = fields[2]
        tid = task[task.rfind("[") + 1:-1].split("/")[0]
        try:
            delay_ms, run_ms = float(fields[4]), float(fields[5])
        except ValueError:
            continue
        if tid in threads:
            delays[task].append(delay_ms * 1000)
            runs[task].append(run_ms * 1000)
            cpus[task].add(fields[1])
        elif run_ms > LONG_SLICE_MS and not task.startswith("<idle>"):
            long_slices[(task, fields[1])].append(run_ms)
    if not runs:
        sys.exit("no switch of the broker's threads recorded: is perf allowed to trace the scheduler?")
    loop = max(runs, key=lambda task: len(runs[task]))  # the thread that carried the messages
    print(f"{loop}: {len(runs[loop])} runs")
    for label, values in (("wake-up", delays[loop]), ("run", runs[loop])):
        values = sorted(values)
        cuts = "  ".join(f"p{p}={values[min(len(values) - 1, int(len(values) * p / 100))]:.0f}"
                         for p in (50, 90, 95, 99))
        print(f"  {label:8} {cuts} µs")
    others = sum(sum(values) for task, values in runs.items() if task != loop) / 1000
    print(f"  the broker's other threads ran {others:.1f} ms in all")
    for (task, cpu), slices in sorted(long_slices.items()):
        if cpu in cpus[loop]:
            print(f"  on the broker's CPU {cpu}: {task}, {len(slices)} slices over {LONG_SLICE_MS:g} ms,"
                  f" longest {max(slices):.1f} ms")


if __name__ == "__main__":
    main()
