"""POST /slack/events: Bolt's AsyncApp with listeners that translate, call the core and render.

Every listener acks first (Slack allows 3 s), then does the use case's database
work without blocking the event loop (see SlackBot._run), then calls the Web API.
Modal submissions are the exception: their answer (close, update, or errors on a
field) depends on the core, so it runs before the ack.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from adapters.main import Runtime, dispatch_now
from adapters.slack import blocks, translate
from adapters.slack.notifier import SlackNotifier, sent_ref, web_client
from bot import actions, cases, deliveries, forms, messages, staff
from bot.errors import MendError
from bot.ports import Notifier
from bot.replies import ActionId, Form, Reply
from db import queries
from db.models import Platform
from db.session import make_loop_sessions

log = logging.getLogger(__name__)

_GIVING = {ActionId.GIVE_OPTION.value, ActionId.REQUEST_APPROVAL.value, ActionId.GIVE_AMOUNT.value}
_MEND = re.compile(r"^mend_")
# Opening or showing a case only schedules deliveries for later (the scheduler sends those):
# no dispatch pass, which on SQLite would queue behind every other writer.
# Slack waits 3 s for a modal's answer; past this the modal is closed and the outcome sent as a DM.
SUBMIT_WAIT_SECONDS = 2.5
# How many differently prefilled case modals are kept rendered.
CASE_VIEWS_KEPT = 256
_NOTHING_DUE = {ActionId.OPEN_CASE.value, ActionId.SHOW_CASE.value}


@dataclass
class SlackBot:
    """The Slack edge of one Mend process: Bolt's app, the notifier and the listeners."""

    runtime: Runtime
    app: AsyncApp
    notifier: SlackNotifier
    # What the outbox is sent through after an action: this notifier, or the composition
    # root's notifier that routes each delivery to its person's platform.
    dispatch_through: Notifier | None = None
    # Where use cases run: on SQLite one thread, as its writers queue for one lock anyway and a
    # queue in Python is fairer and quicker than SQLite's busy-wait; elsewhere asyncio's default pool.
    executor: ThreadPoolExecutor | None = field(default=None)
    # On PostgreSQL, sessions in SQLAlchemy's asyncio mode for use cases run on the loop (see _run).
    loop_sessions: async_sessionmaker[AsyncSession] | None = None
    # Slack users already linked to a staff member: no lookup on each of their requests.
    _linked: set[str] = field(default_factory=set)
    # The workspace each Slack user was last seen in, as stored on their identity.
    _placed: dict[str, str] = field(default_factory=dict)
    # Case modals already rendered, by what /recover's text prefilled (see _case_view).
    _case_views: dict[tuple[tuple[str, str], ...], dict[str, Any]] = field(default_factory=dict)

    async def _run(self, fn: Any, *args: Any, user_id: str | None = None) -> Any:
        """Run `fn(session, *args)`, a use case's blocking database work, without stalling the loop.

        It runs once, whatever happens: nothing here tries a use case again. A person
        already linked (so no Web API call is made) on PostgreSQL runs on the event loop
        in SQLAlchemy's asyncio mode, where each round trip awaits instead of blocking;
        everyone else runs in a worker thread (on SQLite one thread, as its writers
        queue for one lock anyway).
        """
        linked = user_id is not None and user_id in self._linked
        if linked and self.loop_sessions is not None:
            async with self.loop_sessions() as session:
                return await session.run_sync(fn, *args)
        return await asyncio.get_running_loop().run_in_executor(
            self.executor, functools.partial(self._in_session, fn, *args)
        )

    async def close(self) -> None:
        """Close the database connections of the use cases run on the loop."""
        if self.loop_sessions is not None:
            await self.loop_sessions.kw["bind"].dispose()

    def _in_session(self, fn: Any, *args: Any) -> Any:
        with self.runtime.sessions() as session:
            return fn(session, *args)

    # --- /recover -------------------------------------------------------------------------

    async def on_recover(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Open the case modal at once; answer `help` and `history CUSTOMER` only to the asker."""
        command = translate.parse_recover(body.get("text"))
        if command.verb == "help":
            help_reply = messages.recover_help(body.get("command") or "/recover")
            await ack(text=blocks.fallback_text(help_reply), blocks=blocks.render_reply(help_reply))
            return
        await ack()
        actor = translate.actor_from(None, user_id=body.get("user_id"))
        if command.verb == "history":
            try:
                reply = await self._run(self._history, actor, command.text, user_id=actor.user_id)
            except MendError as exc:
                reply = messages.error(exc.message, field=exc.field)
            await respond(
                text=blocks.fallback_text(reply), blocks=blocks.render_reply(reply), response_type="ephemeral"
            )
            return
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=self._case_view(command.text))
        except SlackApiError as exc:
            await self._tell(respond, client, body, messages.slack_not_reachable(_error(exc)))

    def _case_view(self, text: str) -> dict[str, Any]:
        """Return the case modal prefilled from the text, rendered once per distinct prefill.

        Most people type a bare /recover, or the same few words; the rendered view is the
        same each time (the policy is fixed for the process) and is only read after.
        """
        policy = self.runtime.policy
        prefill = forms.prefill_from_text(text, policy)
        key = tuple(sorted(prefill.items()))
        view = self._case_views.get(key)
        if view is None:
            if len(self._case_views) >= CASE_VIEWS_KEPT:
                self._case_views.clear()
            view = self._case_views[key] = blocks.render_form(forms.case_form(policy, prefill))
        return view

    # --- modals -------------------------------------------------------------------------

    async def on_submit(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Carry out a modal: errors go back on their field, a next form replaces it, a reply is posted."""
        view = body["view"]
        action = view["callback_id"]
        meta = blocks.view_metadata(view)
        actor = translate.actor_from(body.get("user"))
        key = translate.view_request_key(body)
        work = asyncio.ensure_future(
            self._run(
                self._handle,
                action,
                str(meta.get("value", "")),
                actor,
                blocks.form_inputs(view),
                key,
                client.token,
                translate.team_of(body) or None,
                user_id=actor.user_id,
            )
        )
        try:
            result = await asyncio.wait_for(asyncio.shield(work), SUBMIT_WAIT_SECONDS)
        except TimeoutError:
            # Slack gives up after 3 s: close the modal now, and tell the outcome in a DM.
            await ack()
            await self._finish_late(work, client, actor.user_id, meta, action, key, respond, body)
            return
        except MendError as exc:
            names = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
            where = exc.field if exc.field in names else blocks.first_input(view)
            await ack(response_action="errors", errors={where: exc.message[:150] or "Check this"})
            return
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("Slack form %s failed [%s]", action, correlation)
            sorry = messages.unexpected(correlation)
            await ack(
                response_action="errors",
                errors={blocks.first_input(view): f"{sorry.title}. Code {correlation}."},
            )
            return
        if isinstance(result, Form):
            await ack(response_action="update", view=blocks.render_form(result, metadata=meta))
            return
        await ack()
        origin = (meta["channel"], meta["ts"]) if meta.get("channel") and meta.get("ts") else None
        await self._show(client, actor.user_id, result, origin, action, key, respond, body)
        if action not in _NOTHING_DUE:
            await self.dispatch()

    async def _finish_late(
        self,
        work: asyncio.Future[Any],
        client: AsyncWebClient,
        user_id: str,
        meta: dict[str, Any],
        action: str,
        key: str,
        respond: AsyncRespond,
        body: dict[str, Any],
    ) -> None:
        """Show the outcome of a submission that outlasted Slack's 3 s, as a message to the person."""
        try:
            result = await work
        except MendError as exc:
            result = messages.error(exc.message, field=exc.field)
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("Slack form %s failed [%s]", action, correlation)
            result = messages.unexpected(correlation)
        if isinstance(result, Form):
            result = messages.error(messages.form_too_slow())
        origin = (meta["channel"], meta["ts"]) if meta.get("channel") and meta.get("ts") else None
        await self._show(client, user_id, result, origin, action, key, respond, body)
        await self.dispatch()

    # --- buttons -------------------------------------------------------------------------

    async def on_click(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """Carry out a button: a form opens as a modal, a reply replaces the clicked message."""
        await ack()
        name = blocks.action_of(action["action_id"])
        actor = translate.actor_from(body.get("user"))
        key = translate.action_request_key(body, action)
        origin = translate.message_location(body)
        try:
            result = await self._run(
                self._handle,
                name,
                str(action.get("value", "")),
                actor,
                {},
                key,
                client.token,
                translate.team_of(body) or None,
                user_id=actor.user_id,
            )
        except MendError as exc:
            await self._tell(respond, client, body, messages.error(exc.message, field=exc.field))
            return
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("Slack action %s failed [%s]", name, correlation)
            await self._tell(respond, client, body, messages.unexpected(correlation))
            return
        if isinstance(result, Form):
            meta = {"channel": origin[0], "ts": origin[1]} if origin else {}
            try:
                await client.views_open(
                    trigger_id=body["trigger_id"], view=blocks.render_form(result, metadata=meta)
                )
            except SlackApiError as exc:  # e.g. the trigger expired: say so, and how to try again
                await self._tell(respond, client, body, messages.form_not_opened(_error(exc)))
            return
        await self._show(client, actor.user_id, result, origin, name, key, respond, body)
        if name not in _NOTHING_DUE:
            await self.dispatch()

    # --- App Home --------------------------------------------------------------------------

    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish the Home tab: open cases, approvals waiting, authority and budget left."""
        if event.get("tab", "home") != "home":
            return
        actor = translate.actor_from(None, user_id=event.get("user"))
        reply = await self._run(
            self._my_cases, actor, client.token, translate.team_of(body) or None, user_id=actor.user_id
        )
        await client.views_publish(user_id=actor.user_id, view=blocks.render_home(reply))

    # --- helpers ---------------------------------------------------------------------------

    async def _show(
        self,
        client: AsyncWebClient,
        user_id: str,
        reply: Reply,
        origin: tuple[str, str] | None,
        action: str,
        key: str | None,
        respond: AsyncRespond,
        body: dict[str, Any],
    ) -> None:
        """Replace the message the person acted on, or DM them; remember an approval card."""
        text, rendered = blocks.fallback_text(reply), blocks.render_reply(reply)
        try:
            if origin:
                await client.chat_update(channel=origin[0], ts=origin[1], text=text, blocks=rendered)
                channel, ts = origin
            else:
                response = await client.chat_postMessage(channel=user_id, text=text, blocks=rendered)
                channel, ts = str(response["channel"]), str(response["ts"])
        except SlackApiError as exc:
            await self._tell(respond, client, body, messages.slack_not_reachable(_error(exc)))
            return
        if action in _GIVING and key:
            where = sent_ref(channel, ts, translate.team_of(body) or None)
            await self._run(self._remember_request_card, action, key, where, user_id=user_id)

    async def _tell(
        self, respond: AsyncRespond, client: AsyncWebClient, body: dict[str, Any], reply: Reply
    ) -> None:
        """Show a reply only the person sees: through response_url, else as a DM."""
        text, rendered = blocks.fallback_text(reply), blocks.render_reply(reply)
        try:
            if body.get("response_url") or body.get("response_urls"):
                await respond(text=text, blocks=rendered, response_type="ephemeral", replace_original=False)
                return
            user = (body.get("user") or {}).get("id") or body.get("user_id")
            await client.chat_postMessage(channel=user, text=text, blocks=rendered)
        except Exception:
            log.exception("cannot tell a Slack user what went wrong: %s", text)

    async def dispatch(self) -> None:
        """Send what the outbox holds that is due now (approval requests, card updates, lessons)."""
        await dispatch_now(self.runtime, self.dispatch_through or self.notifier, after="a Slack action")

    def _known_actor(self, actor: Any, token: str | None, session: Any) -> Any:
        """Fill in the email and name of a person Mend has not met, so they link to the directory."""
        if actor.user_id in self._linked:
            return actor
        if queries.get_identity(session, Platform.SLACK.value, actor.user_id) is not None:
            self._linked.add(actor.user_id)
            return actor
        # End the lookup's transaction before asking Slack: on SQLite it holds the write lock,
        # and no other writer should wait on a Web API call.
        session.rollback()
        try:
            info = web_client(token, self.runtime.settings.slack_api_url).users_info(user=actor.user_id)
        except Exception as exc:  # without the email the person is added with the default role
            log.warning("users.info for %s failed: %s", actor.user_id, exc)
            return actor
        user = info.get("user") or {}
        profile = user.get("profile") or {}
        return translate.actor_from(
            {
                "id": actor.user_id,
                "real_name": profile.get("real_name") or user.get("real_name") or actor.name,
            },
            email=profile.get("email"),
        )

    def _handle(
        self,
        session: Session,
        action: str,
        value: str,
        actor: Any,
        inputs: dict[str, str],
        key: str | None,
        token: str | None,
        team: str | None = None,
    ) -> Reply | Form:
        """Run one use case, with the person's workspace noted in the same transaction."""
        rt = self.runtime
        actor = self._known_actor(actor, token, session)
        placing = self._note_place(session, actor, team)
        result = actions.handle(
            action, value, actor, inputs, session=session, policy=rt.policy, clock=rt.clock, request_key=key
        )
        self._commit_place(session, actor, placing)
        return result

    def _note_place(self, session: Session, actor: Any, team: str | None) -> str | None:
        """Note the workspace a person uses Mend from (later deliveries need its token)."""
        if not team or self._placed.get(actor.user_id) == team:
            return None
        rt = self.runtime
        staff.note_address(actor, {"team_id": team}, session=session, policy=rt.policy, clock=rt.clock)
        return team

    def _commit_place(self, session: Session, actor: Any, team: str | None) -> None:
        """Commit a noted workspace when the use case only read; it is then known to this process."""
        if team is None:
            return
        if session.in_transaction():
            session.commit()
        self._placed[actor.user_id] = team

    def _history(self, session: Session, actor: Any, query: str) -> Reply:
        rt = self.runtime
        return cases.customer_history(actor, query, session=session, policy=rt.policy, clock=rt.clock)

    def _my_cases(self, session: Session, actor: Any, token: str | None, team: str | None = None) -> Reply:
        rt = self.runtime
        actor = self._known_actor(actor, token, session)
        placing = self._note_place(session, actor, team)
        reply = cases.my_cases(actor, session=session, policy=rt.policy, clock=rt.clock)
        self._commit_place(session, actor, placing)
        return reply

    def _remember_request_card(self, session: Session, action: str, key: str, where: dict[str, Any]) -> None:
        """Record the employee's 'sent for approval' message, so the decision updates it in place."""
        rt = self.runtime
        offer = queries.get_offer_by_request_key(session, key)
        request = queries.get_pending_request(session, offer.case_id) if offer else None
        if offer is None or request is None or request.offer_id != offer.id:
            return
        deliveries.remember_message(
            session,
            kind=deliveries.Kind.APPROVAL_REQUEST,
            case_id=offer.case_id,
            recipient_id=request.requested_by_id,
            sent_ref=where,
            now=rt.clock.now(),
            request_id=request.id,
        )
        session.commit()


def _error(exc: SlackApiError) -> str:
    return f"Slack said {exc.response.get('error', 'an error')}"


def register(bot: SlackBot) -> None:
    """Register the listeners on Bolt's app."""
    app = bot.app
    app.command(re.compile(r"^/recover"))(bot.on_recover)
    app.view_submission(_MEND)(bot.on_submit)
    app.action(_MEND)(bot.on_click)
    app.event("app_home_opened")(bot.on_home)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack request failed: %r (type %s)", error, body.get("type"))


def slack_notifier(runtime: Runtime) -> SlackNotifier:
    """Return the notifier that posts Mend's deliveries to Slack (one token, or each workspace's)."""
    from adapters.slack.install import InstalledWorkspaces, installation_store

    settings, policy = runtime.settings, runtime.policy
    store = installation_store(runtime)
    return SlackNotifier(
        web_client(settings.slack_bot_token, settings.slack_api_url, retries=2),
        channels={
            deliveries.Channel.LESSONS.value: policy.broadcast.channel,
            deliveries.Channel.APPROVALS.value: policy.approvals.channel,
        },
        workspaces=InstalledWorkspaces(store) if store is not None else None,
    )


def slack_configured(runtime: Runtime) -> bool:
    """Say whether Slack has what it needs: a signing secret and a bot token or OAuth client."""
    s = runtime.settings
    return bool(
        s.slack_signing_secret and (s.slack_bot_token or (s.slack_client_id and s.slack_client_secret))
    )


def build_slack_bot(
    runtime: Runtime, *, dispatch_through: Notifier | None = None, oauth_settings: Any = None
) -> SlackBot:
    """Wire Bolt's AsyncApp (one-workspace token, or the OAuth install flow), the notifier and listeners."""
    settings = runtime.settings
    quiet = max(logging.WARNING, logging.getLogger().level)
    logging.getLogger("slack_bolt").setLevel(quiet)
    # slack_sdk tests its logger's own level, not the effective one: left unset, every Web API
    # call formats a debug line with the whole request (a views.open form) that nobody logs.
    web_api_log = logging.getLogger("slack_sdk.web.mend")
    web_api_log.setLevel(quiet)
    # Calls made while answering a person retry a dropped connection and wait out a rate limit once.
    client_kwargs: dict[str, Any] = {
        "logger": web_api_log,
        "retry_handlers": [
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        ],
    }
    if settings.slack_api_url:
        client_kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    app_kwargs: dict[str, Any] = {
        "signing_secret": settings.slack_signing_secret,
        "process_before_response": False,
        "logger": logging.getLogger("slack_bolt.mend"),
    }
    if oauth_settings is not None:
        app_kwargs["oauth_settings"] = oauth_settings
        app_kwargs["client"] = AsyncWebClient(**client_kwargs)
    else:
        app_kwargs["client"] = AsyncWebClient(token=settings.slack_bot_token, **client_kwargs)
    app = AsyncApp(**app_kwargs)
    sqlite = runtime.engine.dialect.name == "sqlite"
    bot = SlackBot(
        runtime=runtime,
        app=app,
        notifier=slack_notifier(runtime),
        dispatch_through=dispatch_through,
        executor=ThreadPoolExecutor(1, thread_name_prefix="mend-sqlite") if sqlite else None,
        loop_sessions=None if sqlite else make_loop_sessions(runtime.engine.url),
    )
    register(bot)
    return bot
