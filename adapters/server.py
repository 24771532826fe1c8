"""One aiohttp server: Slack (/slack/events), Teams (/api/messages), /healthz and /metrics.

Each platform is served only when it is configured: Slack with its signing secret
and a token or OAuth client, Teams with MICROSOFT_APP_ID (or, for local testing
only, MEND_TEAMS_UNAUTHENTICATED=1).

The composition root adds its startup work (the scheduler, a notifier that routes
each delivery to its person's platform) with `web_app.on_startup.append(...)`
after `build_web_app`; `notifier` is what deliveries are dispatched through after
an action on either platform.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import ClientSession, ClientTimeout, web
from sqlalchemy import func, select, text

from adapters.main import Runtime
from adapters.routing import RoutingNotifier
from bot.ports import Notifier
from db.models import Case, Delivery, DeliveryStatus

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
SOCKET_MODE_CLOSE_SECONDS = 5.0
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
RUNTIME_KEY: web.AppKey[Runtime] = web.AppKey("mend_runtime")
SLACK_KEY: web.AppKey[Any] = web.AppKey("mend_slack")
NOTIFIER_KEY: web.AppKey[Notifier] = web.AppKey("mend_notifier")


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def build_web_app(runtime: Runtime, *, notifier: Notifier | None = None) -> web.Application:
    """Return the aiohttp app with every endpoint Mend serves; `notifier` sends what actions cause."""
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
    web_app[RUNTIME_KEY] = runtime

    async def healthz(_request: web.Request) -> web.Response:
        def ping() -> None:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(ping), 5)
        except Exception as exc:
            return web.json_response({"status": "unavailable", "database": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok"})

    async def metrics_endpoint(_request: web.Request) -> web.Response:
        def totals() -> tuple[int, int]:
            with runtime.sessions() as session:
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

    # Deliveries go to each person's own platform: the routing notifier learns the
    # platforms' notifiers as they are mounted, Slack first, then Teams.
    routing = RoutingNotifier({})
    dispatch_through = notifier or routing
    from adapters.slack.app import slack_configured

    if slack_configured(runtime):
        slack_bot = add_slack_routes(web_app, runtime, dispatch_through=dispatch_through)
        routing.notifiers["slack"] = slack_bot.notifier
    else:
        log.info(
            "Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or the OAuth client) to serve it"
        )
    if runtime.settings.teams_enabled():
        from adapters.teams.app import add_teams_routes

        teams_bot = add_teams_routes(web_app, runtime, dispatch_through=dispatch_through)
        routing.notifiers["teams"] = teams_bot.notifier
    else:
        log.info("Teams is off: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to serve it")
    web_app[NOTIFIER_KEY] = dispatch_through
    return web_app


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def add_slack_routes(web_app: web.Application, runtime: Runtime, *, dispatch_through: Notifier | None) -> Any:
    """Add POST /slack/events (and the OAuth install routes when configured) to an aiohttp app."""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    from adapters.slack.app import build_slack_bot
    from adapters.slack.install import oauth_settings

    settings = oauth_settings(runtime)
    bot = build_slack_bot(runtime, dispatch_through=dispatch_through, oauth_settings=settings)
    web_app[SLACK_KEY] = bot

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        bolt_response = await bot.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def open_http(_app: web.Application) -> None:
        # One connection pool for every Web API call, not a new session (and connection) per call.
        # Its JSON bodies (a modal, a card's blocks) are encoded by orjson: with the standard
        # encoder that was a quarter of the CPU of each views.open.
        bot.app.client.session = ClientSession(timeout=ClientTimeout(total=30), json_serialize=_json)

    async def close_http(_app: web.Application) -> None:
        session = bot.app.client.session
        if session is not None:
            await session.close()
        await bot.close()

    web_app.on_startup.append(open_http)
    web_app.on_cleanup.append(close_http)
    web_app.router.add_post(SLACK_EVENTS_PATH, events)
    if settings is not None:

        async def oauth(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            flow = bot.app.oauth_flow
            assert flow is not None
            if request.path == settings.install_path:
                bolt_response = await flow.handle_installation(bolt_request)
            else:
                bolt_response = await flow.handle_callback(bolt_request)
            return await to_aiohttp_response(bolt_response)

        web_app.router.add_get(settings.install_path, oauth)
        web_app.router.add_get(settings.redirect_uri_path, oauth)
    return bot


async def serve(
    runtime: Runtime,
    *,
    host: str,
    port: int,
    notifier: Notifier | None = None,
    reuse_port: bool = False,
    slack_socket_mode: bool = True,
) -> None:
    """Run the web app and the delivery scheduler until cancelled.

    With SLACK_APP_TOKEN set (and `slack_socket_mode`), Slack's Socket Mode runs on the same
    loop too. `reuse_port` lets several processes listen on one port (SO_REUSEPORT).
    """
    from adapters.scheduler import start_scheduler
    from bot.lessons import redactor_for

    # The redactor loads its word lists once (under a second) before the first lesson needs them.
    await asyncio.to_thread(redactor_for, runtime.policy)
    web_app = build_web_app(runtime, notifier=notifier)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await site.start()
    log.warning(
        "Mend is serving on http://%s:%s (Slack: %s)", host, port, "on" if SLACK_KEY in web_app else "off"
    )
    scheduler = start_scheduler(runtime, web_app[NOTIFIER_KEY])
    socket_mode = None
    bot = web_app.get(SLACK_KEY)
    if bot is not None and slack_socket_mode and runtime.settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(bot.app, runtime.settings.slack_app_token)
        await socket_mode.connect_async()
        log.warning("Slack Socket Mode is connected")
    # Everything built so far (modules, the policy, SQLAlchemy's mappers, the apps) lives as
    # long as the process: keep it out of the collector's view. Otherwise each full collection
    # walks all of it and stops the event loop for 80-90 ms (measured under the benchmark);
    # frozen, a full collection takes about 3 ms.
    gc.freeze()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown()
        if socket_mode is not None:
            # Slack answers a close at once; a connection that does not must not hold up the stop.
            try:
                await asyncio.wait_for(socket_mode.close_async(), SOCKET_MODE_CLOSE_SECONDS)
            except TimeoutError:
                log.warning(
                    "Slack Socket Mode did not close in %s s; stopping anyway", SOCKET_MODE_CLOSE_SECONDS
                )
        await runner.cleanup()
