#!/usr/bin/env python3
"""A small, bounded HTTP/1.1 load generator for Keel's benchmarks (loopback targets only).

One process, one thread, asyncio streams: ``--concurrency`` clients each keep one connection open
(HTTP/1.1 keep-alive) and send their next request as soon as the previous answer is read. When the
server closes the connection (gunicorn's sync workers answer ``Connection: close``) the client
reconnects, and the connect time counts in that request's latency, as it would for a real client.

Hard caps: 120 s of measurement, 1,000,000 requests. Targets must resolve to loopback addresses.

    python bench/loadgen.py http://127.0.0.1:8190/api/v1/incidents -X POST \\
        -H "Authorization: Bearer $TOKEN" \\
        --body '{"title": "bench {n}", "impact": "high", "urgency": "medium"}' \\
        -c 16 -d 20 --warmup 3 --json out.json

Several URLs are sent round-robin; the report then has one section per URL (``--label`` names
them). ``{n}`` in a URL or body is replaced by a per-run counter. The last line on stdout is a
human summary; ``--json`` writes every number (overall, per target, status codes, errors, and the
CPU the load generator itself used, so its share of the machine is known).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import math
import resource
import socket
import sys
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_DURATION_S = 120.0
MAX_REQUESTS = 1_000_000
MAX_CONCURRENCY = 256


@dataclass
class Target:
    label: str
    method: str
    host: str
    port: int
    path: str
    body: str | None
    headers: list[tuple[str, str]]

    def request(self, n: int) -> bytes:
        path = self.path.replace("{n}", str(n))
        lines = [f"{self.method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        payload = b""
        if self.body is not None:
            payload = self.body.replace("{n}", str(n)).encode()
            if not any(name.lower() == "content-type" for name, _ in self.headers):
                lines.append("Content-Type: application/json")
            lines.append(f"Content-Length: {len(payload)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass
class Stats:
    latencies: array = field(default_factory=lambda: array("d"))
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def check_loopback(host: str) -> None:
    """Refuse any target that is not on this machine's loopback interface."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror as error:
        raise SystemExit(f"loadgen: cannot resolve {host!r}: {error}") from error
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_loopback:
            raise SystemExit(f"loadgen: refusing non-loopback target {host} ({address}); only 127.0.0.0/8 or ::1")


def parse_targets(args: argparse.Namespace) -> list[Target]:
    headers = []
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep:
            raise SystemExit(f"loadgen: header {raw!r} is not 'Name: value'")
        headers.append((name.strip(), value.strip()))
    labels = list(args.label or [])
    targets = []
    for index, url in enumerate(args.url):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise SystemExit(f"loadgen: only http://host:port/path URLs are supported (got {url!r})")
        check_loopback(parts.hostname)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        label = labels[index] if index < len(labels) else path
        targets.append(Target(label, args.method, parts.hostname, parts.port or 80, path, args.body, headers))
    if len({(t.host, t.port) for t in targets}) != 1:
        raise SystemExit("loadgen: all URLs must point at the same host:port")
    return targets


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return (status, server_keeps_connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, _, header_block = head.partition(b"\r\n")
    version, status = status_line[:8], int(status_line[9:12])
    length = -1
    chunked = False
    keep = version == b"HTTP/1.1"
    for line in header_block.split(b"\r\n"):
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            keep = b"close" not in value.lower()
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length >= 0:
        await reader.readexactly(length)
    else:
        await reader.read()  # body until close
        keep = False
    return status, keep


class Run:
    def __init__(self, targets: list[Target], args: argparse.Namespace) -> None:
        self.targets = targets
        self.concurrency = args.concurrency
        self.timeout = args.timeout
        self.max_requests = args.requests
        self.ok_statuses = {int(code) for code in args.expect.split(",")} if args.expect else None
        self.issued = 0
        self.measured_issued = 0
        self.stats = [Stats() for _ in targets]
        self.phase = "warmup"
        self.measure_start = 0.0
        self.stop_at = 0.0
        self.last_done = 0.0
        self.connects = 0

    def next_request(self) -> tuple[int, Target] | None:
        if self.phase == "stop":
            return None
        if self.phase == "measure":
            if time.perf_counter() >= self.stop_at or self.measured_issued >= self.max_requests:
                self.phase = "stop"
                return None
            self.measured_issued += 1
        n = self.issued
        self.issued += 1
        return n, self.targets[n % len(self.targets)]

    async def client(self) -> None:
        target0 = self.targets[0]
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while (job := self.next_request()) is not None:
            n, target = job
            measuring = self.phase == "measure"
            index = n % len(self.targets)
            started = time.perf_counter()
            try:
                async with asyncio.timeout(self.timeout):
                    if writer is None:
                        reader, writer = await asyncio.open_connection(target0.host, target0.port)
                        writer.transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                        self.connects += 1
                    assert reader is not None
                    writer.write(target.request(n))
                    await writer.drain()
                    status, keep = await read_response(reader)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as err:
                if measuring:
                    kind = type(err).__name__
                    stats = self.stats[index]
                    stats.errors[kind] = stats.errors.get(kind, 0) + 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            done = time.perf_counter()
            if measuring:
                stats = self.stats[index]
                stats.latencies.append(done - started)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                self.last_done = done
            if not keep:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    async def main(self, warmup: float, duration: float) -> dict[str, Any]:
        clients = [asyncio.create_task(self.client()) for _ in range(self.concurrency)]
        await asyncio.sleep(warmup)
        cpu0 = _cpu_seconds()
        self.measure_start = time.perf_counter()
        self.stop_at = self.measure_start + duration
        self.phase = "measure"
        await asyncio.gather(*clients)
        elapsed = max(self.last_done, self.measure_start) - self.measure_start
        cpu = _cpu_seconds() - cpu0
        return self.report(elapsed, cpu, warmup)

    def report(self, elapsed: float, cpu: float, warmup: float) -> dict[str, Any]:
        by_target = {}
        for target, stats in zip(self.targets, self.stats, strict=True):
            by_target[target.label] = summarize(stats, elapsed, self.ok_statuses)
        overall = Stats()
        for stats in self.stats:
            overall.latencies.extend(stats.latencies)
            for code, count in stats.statuses.items():
                overall.statuses[code] = overall.statuses.get(code, 0) + count
            for kind, count in stats.errors.items():
                overall.errors[kind] = overall.errors.get(kind, 0) + count
        return {
            "method": self.targets[0].method,
            "targets": [t.label for t in self.targets],
            "concurrency": self.concurrency,
            "warmup_s": warmup,
            "duration_s": round(elapsed, 3),
            **summarize(overall, elapsed, self.ok_statuses),
            "by_target": by_target if len(self.targets) > 1 else {},
            "connections_opened": self.connects,
            "loadgen_cpu_s": round(cpu, 3),
            "loadgen_cpu_pct_of_one_core": round(100 * cpu / elapsed, 1) if elapsed else None,
        }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarize(stats: Stats, elapsed: float, ok_statuses: set[int] | None) -> dict[str, Any]:
    values = sorted(stats.latencies)
    bad_status = sum(
        count
        for code, count in stats.statuses.items()
        if (code not in ok_statuses if ok_statuses is not None else code >= 400)
    )
    completed = len(values)
    ms = 1000.0
    return {
        "requests": completed,
        "rps": round(completed / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(values, 50) * ms, 2),
        "p95_ms": round(percentile(values, 95) * ms, 2),
        "p99_ms": round(percentile(values, 99) * ms, 2),
        "max_ms": round(values[-1] * ms, 2) if values else 0.0,
        "mean_ms": round(sum(values) / completed * ms, 2) if completed else 0.0,
        "errors": bad_status + sum(stats.errors.values()),
        "status": {str(code): count for code, count in sorted(stats.statuses.items())},
        "transport_errors": dict(stats.errors),
    }


def human(result: dict[str, Any], name: str) -> str:
    return (
        f"{name}: {result['rps']:.1f} req/s, p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}/{result['requests']}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", nargs="+", help="http://127.0.0.1:PORT/path?query; several are sent round-robin")
    parser.add_argument("-X", "--method", default="GET")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value' (repeatable)")
    parser.add_argument("--body", help="request body template; {n} is replaced by a counter")
    parser.add_argument("--label", action="append", help="a name per URL, in order, for the report")
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    parser.add_argument("-d", "--duration", type=float, default=20.0, help=f"measured seconds (max {MAX_DURATION_S:g})")
    parser.add_argument(
        "-n", "--requests", type=int, default=MAX_REQUESTS, help=f"measured requests (max {MAX_REQUESTS})"
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring (max 30)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--expect", help="comma-separated status codes that count as success (default: < 400)")
    parser.add_argument("--json", type=Path, help="write the full report here")
    parser.add_argument("--name", default="", help="name for the human summary line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise SystemExit(f"loadgen: concurrency must be 1..{MAX_CONCURRENCY}")
    if not 0 < args.duration <= MAX_DURATION_S:
        raise SystemExit(f"loadgen: duration must be in (0, {MAX_DURATION_S:g}] seconds")
    if not 0 < args.requests <= MAX_REQUESTS:
        raise SystemExit(f"loadgen: requests must be in 1..{MAX_REQUESTS}")
    if not 0 <= args.warmup <= 30:
        raise SystemExit("loadgen: warm-up must be 0..30 seconds")
    targets = parse_targets(args)
    run = Run(targets, args)
    result = asyncio.run(run.main(args.warmup, args.duration))
    result["name"] = args.name
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    name = args.name or f"{args.method} {targets[0].label}"
    for label, sub in result["by_target"].items():
        print("  " + human(sub, label))
    print(human(result, name) + f", loadgen CPU {result['loadgen_cpu_pct_of_one_core']}% of one core")
    return 0 if result["requests"] else 1


if __name__ == "__main__":
    sys.exit(main())
