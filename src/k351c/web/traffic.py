"""The web page's live traffic view: the bench's recent trace records, filtered, as JSON or JSONL,
and the injected-fault counters for /metrics."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client.core import CounterMetricFamily

from k351c.server.runtime import Runtime

PAGE_LIMIT = 500


def add_traffic_routes(app: FastAPI, runtime: Runtime) -> None:
    """GET /api/traffic (JSON, after a sequence number) and /api/traffic.jsonl (download)."""

    def selected(after: int, connection: str | None, listener: str | None, service: str | None):
        sink = runtime.bench.sink if runtime.bench is not None else None
        if sink is None:
            return None
        return list(sink.select(after, connection, listener, service))

    @app.get("/api/traffic", tags=["bench"])
    async def traffic(
        after: int = 0,
        connection: str | None = None,
        listener: str | None = None,
        service: str | None = None,
    ) -> JSONResponse:
        """Trace records after ``after`` (at most 500), filtered by connection, listener, service."""
        records = selected(after, connection, listener, service)
        if records is None:
            return JSONResponse({"tracing": False, "records": [], "last": after})
        page = records[:PAGE_LIMIT]
        last = page[-1]["seq"] if page else after
        return JSONResponse({"tracing": True, "records": page, "last": last})

    @app.get("/api/traffic.jsonl", tags=["bench"])
    async def traffic_jsonl(
        connection: str | None = None,
        listener: str | None = None,
        service: str | None = None,
    ) -> Response:
        """The kept trace records that match the filters, one JSON object per line (a download)."""
        records = selected(0, connection, listener, service) or []
        body = "".join(json.dumps(r, separators=(",", ":"), default=str) + "\n" for r in records)
        headers = {"Content-Disposition": 'attachment; filename="k351c-traffic.jsonl"'}
        return Response(body, media_type="application/x-ndjson", headers=headers)


class BenchCollector:
    """Faults the bench injected, by kind and listener (counted since start)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self):
        """Yield the fault counter family."""
        faults = CounterMetricFamily(
            "k351c_bench_faults_injected",
            "Faults injected by the head-end bench (--fault), by kind and listener",
            labels=["kind", "listener"],
        )
        bench = self.runtime.bench
        if bench is not None:
            for (kind, listener), count in sorted(bench.counters.items()):
                faults.add_metric([kind, listener], float(count))
        yield faults
