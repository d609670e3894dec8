#!/usr/bin/env python3
"""CPU per window of a `floe bench ingest` run: does a request cost more as the run goes on?

`floe bench ingest` reports the CPU of the whole run. This samples, every 10 s, the CPU of the
`floe serve` it started (per thread name), of the generator, and of the machine, from /proc; then
joins the samples with the run's `--timeline` and prints, per sample interval, the requests sent,
the server's microseconds per request, how busy the machine was, and each thread group's cores,
followed by latency per window.

    python3 Benchmarks/cpu_windows.py sample samples.jsonl &          # before the run
    floe bench ingest ... --timeline t.tsv; kill %1
    python3 Benchmarks/cpu_windows.py report t.tsv samples.jsonl [--window 20]

Linux only (reads /proc). Standard library only.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def pid_of(pattern):
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def threads_of(pid):
    """{tid: [thread name, user+system ticks]} of a process; empty when it is gone."""
    threads = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return threads
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        threads[tid] = [name, int(fields[11]) + int(fields[12])]
    return threads


def sample(path, interval):
    with open(path, "w") as out:
        while True:
            record = {"unix": time.time()}
            for role, pattern in (("server", "floe serve"), ("generator", "floe bench")):
                pid = pid_of(pattern)
                record[role] = threads_of(pid) if pid else {}
            with open("/proc/stat") as f:
                record["machine"] = [int(x) for x in f.readline().split()[1:]]
            out.write(json.dumps(record) + "\n")
            out.flush()
            time.sleep(interval)


def report(timeline, samples_path, window):
    samples = [json.loads(line) for line in open(samples_path)]
    per_second = collections.Counter()
    latencies = collections.defaultdict(list)
    with open(timeline) as f:
        started = int(f.readline().split()[-1]) / 1000  # "# started_at_unix_ms N"
        f.readline()  # header
        for line in f:
            sent, latency, _ = line.rstrip("\n").split("\t")
            sent = float(sent) / 1000
            per_second[int(sent)] += 1
            latencies[int(sent // window)].append(float(latency))

    def ticks(record, role):
        return sum(ticks for _, ticks in record[role].values())

    def groups(record):
        total = collections.Counter()
        for name, ticks in record["server"].values():
            total[name] += ticks
        return total

    print("from_s\treq/s\tserver_us_per_req\tmachine_busy_%\tsteal_%\tgenerator_cores\tserver_cores_by_thread")
    for previous, current in zip(samples, samples[1:]):
        if not previous["server"] or not current["server"]:
            continue
        seconds = current["unix"] - previous["unix"]
        start, end = previous["unix"] - started, current["unix"] - started
        requests = sum(per_second[s] for s in range(max(0, int(start)), int(end)))
        if requests == 0:
            continue
        server = (ticks(current, "server") - ticks(previous, "server")) / TICKS
        generator = (ticks(current, "generator") - ticks(previous, "generator")) / TICKS
        m1, m0 = current["machine"], previous["machine"]
        total = sum(m1[:8]) - sum(m0[:8])
        idle = (m1[3] + m1[4]) - (m0[3] + m0[4])
        steal = m1[7] - m0[7]
        g1, g0 = groups(current), groups(previous)
        by_thread = " ".join(f"{name}:{(g1[name] - g0.get(name, 0)) / TICKS / seconds:.2f}"
                             for name in sorted(g1) if (g1[name] - g0.get(name, 0)) / TICKS / seconds >= 0.05)
        # Busy as `floe bench ingest` counts it (CPUUsage): neither idle nor stolen by the hypervisor.
        print(f"{start:.0f}\t{requests / seconds:.0f}\t{server * 1e6 / requests:.1f}\t"
              f"{100 * (total - idle - steal) / total:.0f}\t{100 * steal / total:.1f}\t{generator / seconds:.2f}\t{by_thread}")
    print(f"\nwindow_s\trequests\tp50_ms\tp99_ms\tmax_ms")
    for index in sorted(latencies):
        values = sorted(latencies[index])
        n = len(values)
        print(f"{index * window}\t{n}\t{values[n // 2]:.1f}\t{values[min(n - 1, int(n * 0.99))]:.1f}\t{values[-1]:.0f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("sample", help="sample /proc every --interval seconds until killed")
    s.add_argument("output")
    s.add_argument("--interval", type=float, default=10)
    r = commands.add_parser("report", help="join samples with a --timeline")
    r.add_argument("timeline")
    r.add_argument("samples")
    r.add_argument("--window", type=int, default=20)
    args = parser.parse_args()
    if args.command == "sample":
        sample(args.output, args.interval)
    else:
        report(args.timeline, args.samples, args.window)


if __name__ == "__main__":
    sys.exit(main())
