"""The composition root: settings in, a wired Mend out. Nothing happens at import.

`build_runtime` loads the policy and opens the database; `build_web_app` wires a
server from it: one `UseCases` runner that every edge runs its use cases through,
one `Sender` that sends the outbox through a notifier routing each delivery to its
person's platform, and the Slack and Teams edges that are configured. `serve` adds
the scheduler and runs it all. Nothing it wires imports this module.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from adapters.edge import UseCases
from adapters.routing import RoutingNotifier
from adapters.runtime import Runtime, SchemaOutOfDate, build_runtime, ensure_schema
from adapters.sender import Sender
from adapters.server import add_slack_routes, ops_app
from bot.ports import Notifier
from db.session import make_loop_sessions

log = logging.getLogger(__name__)

__all__ = ["SENDER_KEY", "SLACK_KEY", "Runtime", "SchemaOutOfDate", "build_runtime", "ensure_schema"]


SENDER_KEY: web.AppKey[Sender] = web.AppKey("mend_sender")
SLACK_KEY: web.AppKey[object] = web.AppKey("mend_slack")
SOCKET_MODE_CLOSE_SECONDS = 5.0


def sender_for(runtime: Runtime, notifier: Notifier) -> Sender:
    """Return the sender of the outbox through `notifier`."""
    return Sender(runtime.sessions, runtime.policy, runtime.clock, notifier)


def build_web_app(runtime: Runtime, *, notifier: Notifier | None = None) -> web.Application:
    """Wire every endpoint Mend serves; deliveries go through `notifier`, else to each person's platform.

    Each platform is served only when it is configured: Slack with its signing secret
    and a token or OAuth client, Teams with MICROSOFT_APP_ID (or, for local testing
    only, MEND_TEAMS_UNAUTHENTICATED=1).
    """
    from adapters.slack.app import build_slack_bot, slack_configured, slack_notifier
    from adapters.slack.install import InstalledWorkspaces, installation_store, oauth_settings

    settings = runtime.settings
    routing = RoutingNotifier({})
    sender = sender_for(runtime, notifier or routing)
    # Where use cases run (see UseCases): on SQLite one thread, as its writers take turns on one
    # lock anyway and a queue in Python is fairer and quicker than SQLite's busy-wait; on a
    # server database on the event loop, in SQLAlchemy's asyncio mode.
    sqlite = runtime.engine.dialect.name == "sqlite"
    executor = ThreadPoolExecutor(1, thread_name_prefix="mend-sqlite") if sqlite else None
    loop_sessions = None if sqlite else make_loop_sessions(runtime.engine.url)
    uses = UseCases(
        runtime.sessions,
        runtime.policy,
        runtime.clock,
        loop_sessions=loop_sessions,
        executor=executor,
        sender=sender,
    )
    web_app = ops_app(runtime.engine, runtime.sessions)
    web_app[SENDER_KEY] = sender

    if slack_configured(settings):
        for problem in settings.slack_format_problems():
            log.warning("%s", problem)
        oauth = oauth_settings(settings, runtime.engine)
        slack = build_slack_bot(settings, uses, oauth_settings=oauth)
        add_slack_routes(web_app, slack.app, oauth, signing_secret=settings.slack_signing_secret or "")
        web_app[SLACK_KEY] = slack
        store = installation_store(settings, runtime.engine)
        workspaces = InstalledWorkspaces(store) if store is not None else None
        routing.notifiers["slack"] = slack_notifier(settings, runtime.policy, workspaces)
    else:
        log.info(
            "Slack is off: set SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN (or the OAuth client) to serve it"
        )
    if settings.teams_enabled():
        from adapters.doctor import lessons_checks
        from adapters.teams.app import add_teams_routes, build_teams_bot

        teams = build_teams_bot(settings, uses)
        add_teams_routes(web_app, teams)
        routing.notifiers["teams"] = teams.notifier
        for check in lessons_checks(settings, runtime.policy):  # also what `mend doctor` says
            log.warning("%s", check.detail)
    else:
        log.info("Teams is off: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to serve it")

    async def bind(_app: web.Application) -> None:
        sender.bind(asyncio.get_running_loop())

    async def close(_app: web.Application) -> None:
        if executor is not None:
            executor.shutdown(wait=False)
        if loop_sessions is not None:
            await loop_sessions.kw["bind"].dispose()

    web_app.on_startup.append(bind)
    web_app.on_cleanup.append(close)
    return web_app


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
    slack = web_app.get(SLACK_KEY)
    log.warning("Mend is serving on http://%s:%s (Slack: %s)", host, port, "on" if slack else "off")
    scheduler = start_scheduler(web_app[SENDER_KEY])
    socket_mode = None
    if slack is not None and slack_socket_mode and runtime.settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(slack.app, runtime.settings.slack_app_token)  # type: ignore[attr-defined]
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
