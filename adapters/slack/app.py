"""POST /slack/events: Bolt's AsyncApp with listeners that translate, run the core and render.

Every listener acks first (Slack allows 3 s), then runs its use case through
`adapters.edge.UseCases` (off the event loop), shows the outcome with the Web API
and lets the runner send what the use case queued. Modal submissions are the
exception: their answer (close, update, or an error on a field) depends on the
core, so the use case runs before the ack.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.orm import Session

from adapters.edge import Outcome, UseCases
from adapters.settings import Settings
from adapters.slack import blocks, translate
from adapters.slack.notifier import SlackNotifier, Workspaces, sent_ref, web_client
from adapters.slack.people import SlackPeople
from bot import cases, deliveries, forms, i18n, messages, practice, reports, tasks
from bot.i18n import _
from bot.replies import Form, Reply
from policies.schema import Policy

log = logging.getLogger(__name__)

_MEND = re.compile(r"^mend_")
# Slack waits 3 s for a modal's answer; past this the modal is closed and the outcome sent as a DM.
SUBMIT_WAIT_SECONDS = 2.5
# How many differently prefilled case modals are kept rendered.
CASE_VIEWS_KEPT = 256
# What `/recover WORD ...` answers to its asker alone, by its first word.
CHAT_USES = {
    "history": cases.customer_history,
    "report": reports.request_report,
    "tasks": tasks.list_tasks,
    # An ephemeral answer cannot be updated later: the case comes as a message from Mend instead.
    "practice": practice.send_practice_case,
}


@dataclass
class SlackBot:
    """The Slack edge of one Mend process: Bolt's app, the use-case runner and the listeners."""

    app: AsyncApp
    uses: UseCases
    people: SlackPeople = field(default_factory=SlackPeople)
    _case_views: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)  # see _case_view

    # --- /recover -------------------------------------------------------------------------

    async def on_recover(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        """Open the case modal at once; answer `help`, `history CUSTOMER` and `report` only to the asker."""
        command = translate.parse_recover(body.get("text"))
        someone = translate.actor_from(None, user_id=body.get("user_id"))
        if command.verb == "help":  # answered in the ack itself, so in the person's language
            actor = await self.people.known(someone, client)
            with i18n.speaking(i18n.first_spoken(actor.locale, self.uses.policy.locale)):
                help_reply = messages.recover_help(body.get("command") or "/recover")
            await ack(text=blocks.fallback_text(help_reply), blocks=blocks.render_reply(help_reply))
            return
        await ack()  # first: users.info (once per person and process) must not delay it
        actor = await self.people.known(someone, client)
        language = i18n.first_spoken(actor.locale, self.uses.policy.locale)
        if command.verb in CHAT_USES:
            uses, text = self.uses, command.text
            use = CHAT_USES[command.verb]

            def answer(session: Session) -> Reply:
                return use(actor, text, session=session, policy=uses.policy, clock=uses.clock)

            what = f"Slack {command.verb}"
            outcome = await uses.run(answer, what=what, actor=actor)
            reply = outcome.result
            with i18n.speaking(outcome.language):
                rendered = blocks.render_reply(reply)
            await respond(text=blocks.fallback_text(reply), blocks=rendered, response_type="ephemeral")
            await uses.after(outcome, None, what=what)  # a report is sent to the person's DM
            return
        try:
            view = self._case_view(command.text, language)
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:  # e.g. the trigger expired: say so, and how to try again
            with i18n.speaking(language):
                again = messages.form_not_opened(_error(exc), command=body.get("command") or "/recover")
            await self._tell(respond, client, body, again)

    def _case_view(self, text: str, language: str) -> dict[str, Any]:
        """Return the case modal prefilled from the text, rendered once per language and prefill.

        Most people type a bare /recover, or the same few words; the rendered view is the
        same each time (the policy is fixed for the process) and is only read after.
        """
        policy = self.uses.policy
        prefill = forms.prefill_from_text(text, policy)
        key = (language, *sorted(prefill.items()))
        view = self._case_views.get(key)
        if view is None:
            if len(self._case_views) >= CASE_VIEWS_KEPT:
                self._case_views.clear()
            with i18n.speaking(language):
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
        what = f"Slack form {action}"
        running = asyncio.ensure_future(
            self._press(
                body,
                client,
                action,
                str(meta.get("value", "")),
                blocks.form_inputs(view),
                translate.view_request_key(body),
                what,
            )
        )
        origin = (meta["channel"], meta["ts"]) if meta.get("channel") and meta.get("ts") else None
        try:
            outcome = await asyncio.wait_for(asyncio.shield(running), SUBMIT_WAIT_SECONDS)
        except TimeoutError:
            # Slack gives up after 3 s: close the modal now, and tell the outcome in a DM.
            await ack()
            outcome = await running
            with i18n.speaking(outcome.language):
                if isinstance(outcome.result, Form):
                    outcome = Outcome(messages.error(messages.form_too_slow()), outcome.language)
                await self._show(client, body, respond, outcome, origin, what)
            return
        with i18n.speaking(outcome.language):
            await self._answer_submit(ack, body, client, respond, outcome, origin, what)

    async def _answer_submit(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        outcome: Outcome[Reply | Form],
        origin: tuple[str, str] | None,
        what: str,
    ) -> None:
        """Answer a modal's submission in time: errors on their field, the next form, or close and post."""
        view, meta = body["view"], blocks.view_metadata(body["view"])
        if not outcome.ok:
            # Shown on its field, or on the first one; the apology keeps its code in view.
            names = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
            error = outcome.error
            field = error.field if error is not None and error.field in names else blocks.first_input(view)
            reply: Reply = outcome.result  # type: ignore[assignment]
            if error is not None:
                text = error.message[:150]
            else:
                # Translators: shown on a form's field when Mend failed; {title} is the apology's title,
                # {code} the code that finds the failure in the server's log.
                text = _("{title}. Code {code}.", title=reply.title, code=outcome.code)
            if field:
                # Translators: shown on a form's field that has a problem, when nothing more is known.
                await ack(response_action="errors", errors={field: text or _("Check this")})
                return
        if isinstance(outcome.result, Form):
            await ack(response_action="update", view=blocks.render_form(outcome.result, metadata=meta))
            return
        await ack()
        await self._show(client, body, respond, outcome, origin, what)

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
        what = f"Slack action {name}"
        key = translate.action_request_key(body, action)
        outcome = await self._press(body, client, name, str(action.get("value", "")), {}, key, what)
        with i18n.speaking(outcome.language):
            await self._answer_click(body, client, respond, outcome, what)

    async def _answer_click(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        outcome: Outcome[Reply | Form],
        what: str,
    ) -> None:
        """Open the form a click asked for, or show its reply where it was clicked."""
        origin = translate.message_location(body)
        if isinstance(outcome.result, Form):
            meta = {"channel": origin[0], "ts": origin[1]} if origin else {}
            try:
                await client.views_open(
                    trigger_id=body["trigger_id"], view=blocks.render_form(outcome.result, metadata=meta)
                )
            except SlackApiError as exc:  # e.g. the trigger expired: say so, and how to try again
                await self._tell(respond, client, body, messages.form_not_opened(_error(exc)))
            return
        if not outcome.ok:
            await self._tell(respond, client, body, outcome.result)  # type: ignore[arg-type]
            return
        await self._show(client, body, respond, outcome, origin, what)

    # --- App Home --------------------------------------------------------------------------

    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish the Home tab: open cases, approvals waiting, authority and budget left."""
        if event.get("tab", "home") != "home":
            return
        actor = await self.people.known(translate.actor_from(None, user_id=event.get("user")), client)
        uses, team = self.uses, translate.team_of(body) or None
        address = self.people.new_place(actor, team)

        def my_cases(session: Session) -> Reply:
            if address is not None:
                uses.note_address(actor, address)(session)
            return cases.my_cases(actor, session=session, policy=uses.policy, clock=uses.clock)

        outcome = await uses.run(my_cases, what="Slack App Home", actor=actor)
        if outcome.ok:
            self.people.placed_in(actor, team)
        with i18n.speaking(outcome.language):
            view = blocks.render_home(outcome.result)  # type: ignore[arg-type]
        await client.views_publish(user_id=actor.user_id, view=view)

    # --- helpers ---------------------------------------------------------------------------

    async def _press(
        self,
        body: dict[str, Any],
        client: AsyncWebClient,
        action: str,
        value: str,
        inputs: dict[str, str],
        key: str,
        what: str,
    ) -> Outcome[Reply | Form]:
        """Run a click or submission as the person who made it, noting the workspace they act from."""
        actor = await self.people.known(translate.actor_from(body.get("user")), client)
        team = translate.team_of(body) or None
        address = self.people.new_place(actor, team)
        outcome = await self.uses.run(
            self.uses.press(action, value, actor, inputs, request_key=key, address=address),
            what=what,
            actor=actor,
        )
        if outcome.ok:
            self.people.placed_in(actor, team)
        return outcome

    async def _show(
        self,
        client: AsyncWebClient,
        body: dict[str, Any],
        respond: AsyncRespond,
        outcome: Outcome[Any],
        origin: tuple[str, str] | None,
        what: str,
    ) -> None:
        """Replace the message the person acted on (or DM them), then let the runner finish up."""
        reply: Reply = outcome.result
        if not outcome.ok:
            await self._tell(respond, client, body, reply)
            await self.uses.after(outcome, None, what=what)
            return
        text, rendered = blocks.fallback_text(reply), blocks.render_reply(reply)
        user_id = _user_of(body)
        shown_at = None
        try:
            if origin:
                await client.chat_update(channel=origin[0], ts=origin[1], text=text, blocks=rendered)
                channel, ts = origin
            else:
                response = await client.chat_postMessage(channel=user_id, text=text, blocks=rendered)
                channel, ts = str(response["channel"]), str(response["ts"])
            shown_at = sent_ref(channel, ts, translate.team_of(body) or None)
        except SlackApiError as exc:
            await self._tell(respond, client, body, messages.slack_not_reachable(_error(exc)))
        await self.uses.after(outcome, shown_at, what=what)

    async def _tell(
        self, respond: AsyncRespond, client: AsyncWebClient, body: dict[str, Any], reply: Reply
    ) -> None:
        """Show a reply only the person sees: through response_url, else as a DM."""
        text, rendered = blocks.fallback_text(reply), blocks.render_reply(reply)
        try:
            if body.get("response_url") or body.get("response_urls"):
                await respond(text=text, blocks=rendered, response_type="ephemeral", replace_original=False)
                return
            await client.chat_postMessage(channel=_user_of(body), text=text, blocks=rendered)
        except Exception:
            log.exception("cannot tell a Slack user what went wrong: %s", text)


def _user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def _error(exc: SlackApiError) -> str:
    code = exc.response.get("error")
    if not code:
        return _("Slack said an error")
    # Translators: {error} is Slack's own error code, such as expired_trigger_id; the sentence goes on
    # after it (". Nothing was changed; ...").
    return _("Slack said {error}", error=code)


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


def slack_notifier(settings: Settings, policy: Policy, workspaces: Workspaces | None) -> SlackNotifier:
    """Return the notifier that posts Mend's deliveries to Slack (one token, or each workspace's)."""
    return SlackNotifier(
        web_client(settings.slack_bot_token, settings.slack_api_url, retries=2),
        channels={
            deliveries.Channel.LESSONS.value: policy.broadcast.channel,
            deliveries.Channel.APPROVALS.value: policy.approvals.channel,
        },
        workspaces=workspaces,
    )


def slack_configured(settings: Settings) -> bool:
    """Say whether Slack has what it needs: a signing secret and a bot token or OAuth client."""
    s = settings
    return bool(
        s.slack_signing_secret and (s.slack_bot_token or (s.slack_client_id and s.slack_client_secret))
    )


def build_slack_bot(settings: Settings, uses: UseCases, *, oauth_settings: Any = None) -> SlackBot:
    """Wire Bolt's AsyncApp (one-workspace token, or the OAuth install flow) and the listeners."""
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
    bot = SlackBot(app=AsyncApp(**app_kwargs), uses=uses)
    register(bot)
    return bot
