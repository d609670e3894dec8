#!/usr/bin/env python3
"""Sustained rate of 1 and of N `floe serve` instances behind HAProxy, end to end (docs/scaling.md).

Each run starts S3 (moto, SigV4), an Iceberg REST catalog (Tests/Interop/rest_catalog_server.py) over it,
N instances at their defaults (plus the catalog, S3 and FLOE_INSTANCE_ID settings they need) and HAProxy with
Config/haproxy.example.cfg, then drives /v1/batch bodies of 100 events through HAProxy with wrk for --seconds,
then flushes every instance and counts what the catalog's table holds. The only change to the shipped HAProxy
configuration besides ports: `balance roundrobin` instead of `balance source`, because all of wrk's
connections come from one address (printed as a changed setting).

  .venv/bin/python Benchmarks/scale_out.py --instances 1 3 --seconds 60

Prints one JSON line per run and the ratio of the N-instance rate to the 1-instance rate.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "Interop"))

from floe_server import FloeServer, free_port  # noqa: E402
from s3_support import start_moto  # noqa: E402
from scale_out_support import catalog_on_s3, haproxy_config  # noqa: E402


def run(instances: int, seconds: int, connections: int, binary: Path, bodies: Path, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    moto = start_moto(work)
    rest, env = catalog_on_s3(moto, work / "rest")
    servers = []
    proxy = None
    try:
        for index in range(instances):
            server = FloeServer(binary, work / f"floe-{index}" / "data", work / f"floe-{index}.log",
                                {**env, "FLOE_INSTANCE_ID": f"floe-{index}"})
            server.env.pop("ICEBERG_BUFFER_TIMEOUT_MS", None)  # the defaults a user gets
            server.fixed_port = free_port()
            servers.append(server.start())
        listen = free_port()
        (work / "haproxy.cfg").write_text(haproxy_config(listen, [s.fixed_port for s in servers], balance="roundrobin"))
        proxy = subprocess.Popen(["haproxy", "-f", str(work / "haproxy.cfg")],
                                 stdout=(work / "haproxy.log").open("wb"), stderr=subprocess.STDOUT)
        time.sleep(1.5)
        wrk = subprocess.run(["wrk", "-s", "post_bodies.lua", "-t", "2", "-c", str(connections), "-d", f"{seconds}s",
                              f"http://127.0.0.1:{listen}/v1/batch"],
                             cwd=ROOT / "Benchmarks" / "load", env={"BODIES": str(bodies), "PATH": "/usr/bin:/bin"},
                             capture_output=True, text=True, check=True)
        summary = json.loads(wrk.stdout.strip().splitlines()[-1])
        started = time.monotonic()
        for server in servers:
            server.flush()
        drain_seconds = time.monotonic() - started
        table = rest.catalog.load_table("analytics.events")
        snapshots = table.metadata.snapshots
        committed = int(table.current_snapshot().summary.additional_properties.get("total-records", 0))
        retries = sum(s.log_path.read_text().count("commit failed, retrying") for s in servers)
        accepted = summary.get("requests", 0) - summary.get("non2xx", 0) - summary.get("errors", 0)
        return {"instances": instances, "seconds": seconds, "connections": connections,
                "settings": "defaults; HAProxy: balance roundrobin (wrk has one source address)",
                "accepted_events": accepted * 100, "committed_events": committed,
                "non_2xx": summary.get("non2xx", 0), "socket_errors": summary.get("errors", 0),
                "sustained_events_per_s": round(committed / seconds),
                "p99_ms": summary.get("p99_ms"), "snapshots": len(snapshots), "commit_retries": retries,
                "final_flush_s": round(drain_seconds, 1)}
    finally:
        if proxy:
            proxy.terminate()
            proxy.wait(timeout=10)
        for server in servers:
            server.stop()
        rest.stop()
        moto.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build" / "release" / "floe")
    args = parser.parse_args()
    assert shutil.which("haproxy") and shutil.which("wrk"), "needs haproxy and wrk (apt-get install haproxy wrk)"
    work = Path(tempfile.mkdtemp(prefix="floe-scale-out-"))
    bodies = work / "batches.ndjson"
    bodies.write_text(subprocess.run([sys.executable, str(ROOT / "Benchmarks" / "load" / "make_bodies.py"),
                                      "--batch", "100", "--count", "20000"],
                                     capture_output=True, text=True, check=True).stdout)
    results = []
    for count in args.instances:
        result = run(count, args.seconds, args.connections, args.binary, bodies, work / f"run-{count}")
        results.append(result)
        print(json.dumps(result), flush=True)
    if len(results) > 1:
        base = results[0]["sustained_events_per_s"] or 1
        for result in results[1:]:
            print(f"{result['instances']} instances / {results[0]['instances']}: "
                  f"{result['sustained_events_per_s'] / base:.2f}x sustained events/s", flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
