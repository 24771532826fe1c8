"""The HTTP server's own parts: /healthz, /metrics, and mounting Bolt's app on /slack/events.

What is served and how it is wired is decided by the composition root
(`adapters.main.build_web_app`); this module knows nothing of use cases.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import time
import traceback
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import ClientSession, ClientTimeout, web
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from db.models import Case, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Request counts and latencies by route, kept in memory for /metrics."""

    requests: dict[tuple[str, str, int], int] = field(default_factory=lambda: defaultdict(int))
    buckets: dict[str, list[int]] = field(default_factory=dict)
    sums: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its latency."""
        self.requests[(route, method, status)] += 1
        counts = self.buckets.setdefault(route, [0] * len(BUCKETS))
        at = bisect.bisect_left(BUCKETS, seconds)
        if at < len(BUCKETS):
            counts[at] += 1
        self.sums[route] += seconds
        self.counts[route] += 1

    def render(self, cases_opened: int, deliveries_sent: int) -> str:
        """Return the metrics in Prometheus' text format."""
        lines = [
            "# HELP mend_http_requests_total HTTP requests by route, method and status.",
            "# TYPE mend_http_requests_total counter",
        ]
        for (route, method, status), n in sorted(self.requests.items()):
            lines.append(
                f'mend_http_requests_total{{route="{route}",method="{method}",status="{status}"}} {n}'
            )
        lines += [
            "# HELP mend_http_request_seconds HTTP request latency by route.",
            "# TYPE mend_http_request_seconds histogram",
        ]
        for route, counts in sorted(self.buckets.items()):
            running = 0
            for bound, n in zip(BUCKETS, counts, strict=True):
                running += n
                lines.append(f'mend_http_request_seconds_bucket{{route="{route}",le="{bound}"}} {running}')
            lines.append(
                f'mend_http_request_seconds_bucket{{route="{route}",le="+Inf"}} {self.counts[route]}'
            )
            lines.append(f'mend_http_request_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}')
            lines.append(f'mend_http_request_seconds_count{{route="{route}"}} {self.counts[route]}')
        lines += [
            "# HELP mend_cases_opened_total Cases opened (from the database).",
            "# TYPE mend_cases_opened_total counter",
            f"mend_cases_opened_total {cases_opened}",
            "# HELP mend_deliveries_sent_total Deliveries sent (from the database).",
            "# TYPE mend_deliveries_sent_total counter",
            f"mend_deliveries_sent_total {deliveries_sent}",
        ]
        return "\n".join(lines) + "\n"


METRICS_KEY: web.AppKey[Metrics] = web.AppKey("mend_metrics")


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def ops_app(engine: Engine, sessions: sessionmaker[Session]) -> web.Application:
    """Return an aiohttp app that measures every request and serves /healthz and /metrics."""
    metrics = Metrics()

    @web.middleware
    async def measure(request: web.Request, handler: Any) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            metrics.observe(_route_of(request), request.method, status, time.perf_counter() - started)

    web_app = web.Application(middlewares=[measure])
    web_app[METRICS_KEY] = metrics

    async def healthz(_request: web.Request) -> web.Response:
        def ping() -> None:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(ping), 5)
        except Exception as exc:
            return web.json_response({"status": "unavailable", "database": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics_endpoint(_request: web.Request) -> web.Response:
        def totals() -> tuple[int, int]:
            with sessions() as session:
                opened = session.scalar(select(func.count()).select_from(Case)) or 0
                sent = (
                    session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.status == DeliveryStatus.SENT)
                    )
                    or 0
                )
                return opened, sent

        opened, sent = await asyncio.to_thread(totals)
        return web.Response(text=metrics.render(opened, sent), content_type="text/plain", charset="utf-8")

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics_endpoint)
    return web_app


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def add_slack_routes(web_app: web.Application, app: Any, oauth: Any = None, *, signing_secret: str) -> None:
    """Serve Bolt's `app` on POST /slack/events, and the OAuth install routes when `oauth` is given.

    A request on /slack/events must be signed by Slack (`signing_secret`) within the last
    five minutes, else it is answered 401 before its body is read; a signed one must be a
    payload Mend can read (`adapters.slack.boundary`), else it is answered 400 with one line
    in the log. Only then does Bolt see it, and verify it again.
    """
    from slack_bolt.adapter.aiohttp import to_aiohttp_response
    from slack_bolt.context.async_context import AsyncBoltContext
    from slack_bolt.request.async_internals import build_async_context
    from slack_bolt.request.async_request import AsyncBoltRequest
    from slack_sdk.signature import SignatureVerifier

    from adapters.slack import boundary

    verifier = SignatureVerifier(signing_secret)

    async def events(request: web.Request) -> web.Response:
        raw = await request.read()
        if not _signed_by_slack(verifier, raw, request.headers):
            return web.json_response({"error": "invalid request"}, status=401)
        body = raw.decode()  # the signature was checked on this very text
        try:
            payload = boundary.read_payload(body, request.headers.getall("Content-Type", []))
        except boundary.Refused as exc:
            log.warning("Slack request refused: %s", exc)
            return web.json_response({"error": "malformed request"}, status=400)
        # Bolt gets the payload read above rather than parsing the body again: that cost half a
        # millisecond for a submitted case form (Python's unquote), and Bolt reads any form body
        # with the word "payload" in it as an interaction: a `/recover the payload was lost` as
        # nothing at all. It still verifies the signature on the raw body.
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=_bolt_headers(request))
        bolt_request.raw_body = body
        bolt_request.body = payload
        bolt_request.context = build_async_context(AsyncBoltContext({}), payload)
        try:
            bolt_response = await app.async_dispatch(bolt_request)
        except Exception as exc:  # Bolt's own error handler failed too: one line, not a traceback
            log.error("Slack request failed in Bolt: %s", _one_line(exc))
            return web.json_response({"error": "internal error"}, status=500)
        return await to_aiohttp_response(bolt_response)

    async def open_http(_app: web.Application) -> None:
        # One connection pool for every Web API call, not a new session (and connection) per call.
        # Its JSON bodies (a modal, a card's blocks) are encoded by orjson: with the standard
        # encoder that was a quarter of the CPU of each views.open.
        app.client.session = ClientSession(timeout=ClientTimeout(total=30), json_serialize=_json)

    async def close_http(_app: web.Application) -> None:
        session = app.client.session
        if session is not None:
            await session.close()

    web_app.on_startup.append(open_http)
    web_app.on_cleanup.append(close_http)
    web_app.router.add_post(SLACK_EVENTS_PATH, events)
    if oauth is None:
        return

    async def install(request: web.Request) -> web.Response:
        # GETs that anyone may send, unsigned: what they carry is in the query, a body is ignored.
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=_bolt_headers(request))
        flow = app.oauth_flow
        assert flow is not None
        if request.path == oauth.install_path:
            bolt_response = await flow.handle_installation(bolt_request)
        else:
            bolt_response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_get(oauth.install_path, install)
    web_app.router.add_get(oauth.redirect_uri_path, install)


def _bolt_headers(request: web.Request) -> dict[str, str | Sequence[str]]:
    """Return a request's headers for Bolt, the last of each name as Bolt keeps it.

    Bolt's own (x-slack-bolt-*) steer its lazy listeners: they never come from outside.
    """
    return {k: v for k, v in request.headers.items() if not k.lower().startswith("x-slack-bolt-")}


def _signed_by_slack(verifier: Any, body: bytes, headers: Mapping[str, str]) -> bool:
    """Say whether Slack signed this body with Mend's secret within the last five minutes."""
    try:
        return bool(verifier.is_valid_request(body, headers))
    except (ValueError, OverflowError):  # a timestamp that is no number, a body that is not UTF-8
        return False


def _one_line(exc: BaseException) -> str:
    """Return an exception and where it was raised, on one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:200]}{where}"
