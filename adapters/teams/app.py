"""POST /api/messages: the Agents SDK's aiohttp hosting, listeners that call the core, and auth.

With MICROSOFT_APP_ID set, every request must carry a Bot Framework token for that
app (single-tenant with MICROSOFT_APP_TENANT_ID, multi-tenant without). Without it,
`mend serve` does not serve Teams at all, unless MEND_TEAMS_UNAUTHENTICATED=1 asks it to
accept anyone, for local testing only, which it says loudly.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning
from microsoft_agents.activity import Activity, ActivityTypes, InvokeResponse, load_configuration_from_env
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    CardFactory,
    ClaimsIdentity,
    Connections,
    JwtTokenValidator,
    MemoryStorage,
    MessageFactory,
    OutboundHostValidator,
    RouteRank,
    TurnContext,
    TurnState,
)
from sqlalchemy.orm import Session

from adapters.edge import UseCases
from adapters.settings import Settings
from adapters.teams import boundary, cards, commands, translate
from adapters.teams.notifier import TeamsNotifier, sent_ref
from bot import forms, i18n, messages
from bot.commands import Actor
from bot.errors import MendError
from bot.replies import ActionId, Form, Reply

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
TOKEN_CHECK_SECONDS = 5.0
MULTI_TENANT = "botframework.com"
_SETTINGS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
TEAMS_APP_KEY: web.AppKey[TeamsBot] = web.AppKey("mend_teams")
# An Action.Execute click arrives as this invoke; its answer's `type` for "show this message".
ADAPTIVE_CARD_ACTION = "adaptiveCard/action"
ACTIVITY_MESSAGE = "application/vnd.microsoft.activity.message"


def sdk_configuration(settings: Settings) -> dict[str, Any]:
    """Return the SDK's connection configuration from Bot Framework's variable names."""
    if not settings.microsoft_app_id:
        return {}
    env = {
        _SETTINGS + "CLIENTID": settings.microsoft_app_id,
        _SETTINGS + "CLIENTSECRET": settings.microsoft_app_password or "",
        # A tenant id means single-tenant; without one, Bot Framework's multi-tenant authority.
        _SETTINGS + "TENANTID": settings.microsoft_app_tenant_id or MULTI_TENANT,
        _SETTINGS + "AUTHTYPE": "ClientSecret",
    }
    return load_configuration_from_env(env)


def build_connections(settings: Settings) -> Connections:
    """Return the SDK's connection manager: MSAL with the app's credentials, or anonymous."""
    config = sdk_configuration(settings)
    if not config:
        return MsalConnectionManager(
            connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)}
        )
    return MsalConnectionManager(**config)


async def authenticate(header: str, config: AgentAuthConfiguration) -> ClaimsIdentity | None:
    """Return the caller's identity from a Bot Framework token, or None to refuse the request.

    Cheap offline checks first, so a missing or forged token is refused at once
    without fetching signing keys; the key fetch itself is bounded in time.
    """
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        unverified_header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    audience = claims.get("aud")
    if (
        unverified_header.get("alg") != "RS256"
        or not unverified_header.get("kid")
        or not isinstance(audience, str)
        or audience.lower() != (config.CLIENT_ID or "").lower()
    ):
        return None
    try:
        return await asyncio.wait_for(JwtTokenValidator(config).validate_token(token), TOKEN_CHECK_SECONDS)
    except Exception as exc:  # bad signature, unreachable keys, timeout: all mean "not proven"
        log.warning("Teams token refused: %s", type(exc).__name__)
        return None


@dataclass
class TeamsBot:
    """The Teams edge of one Mend process: the SDK objects, the use-case runner and the listeners."""

    uses: UseCases
    adapter: CloudAdapter
    agent: AgentApplication[TurnState]
    notifier: TeamsNotifier
    auth: AgentAuthConfiguration
    app_id: str | None
    # The personal-chat reference each Teams user was last stored with, by this process.
    _addresses: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def on_message(self, context: TurnContext, _state: TurnState) -> None:
        """Answer the chat commands (`recover` anywhere, the rest in a personal chat) and card submissions."""
        raw, reference = _raw(context.activity), _reference(context.activity)
        self.notifier.learn(reference)
        # Until a use case says otherwise, in the language of the sender's client.
        with i18n.speaking(i18n.first_spoken(raw.get("locale"), self.uses.policy.locale)):
            if translate.is_press(raw):
                await self.press(context, raw, reference)
                return
            await self.remember(reference, raw)
            command = translate.chat_command(raw)
            if command.word is translate.Word.RECOVER:
                policy = self.uses.policy
                form = forms.case_form(policy, forms.prefill_from_text(command.text, policy))
                await _send(context, cards.render_form(form))
            elif translate.is_personal(raw):
                # Not in a channel: there everyone would read one person's cases, authority or customers.
                await self.answer(context, command, translate.actor_from(raw))

    async def answer(self, context: TurnContext, command: translate.ChatCommand, actor: Actor) -> None:
        """Run a chat command's use case and show its reply, or the error the runner gives."""
        use, policy, clock = commands.CHAT_USES[command.word], self.uses.policy, self.uses.clock

        def work(session: Session) -> Reply:
            return use(actor, command.text, session=session, policy=policy, clock=clock)

        what = f"Teams {command.word}"
        outcome = await self.uses.run(work, what=what, actor=actor)
        with i18n.speaking(outcome.language):
            activity_id = await _send(context, cards.render_reply(outcome.result))
        # Where a reply to keep up to date (a Home card) was shown, for `after` to record.
        shown_at = sent_ref(_reference(context.activity), activity_id) if activity_id else None
        await self.uses.after(outcome, shown_at, what=what)

    async def on_installed(self, context: TurnContext, _state: TurnState) -> None:
        """Keep the conversation reference when Mend is installed, for proactive messages."""
        raw = _raw(context.activity)
        if not translate.bot_was_added(raw):
            return
        reference = _reference(context.activity)
        self.notifier.learn(reference)
        await self.remember(reference, raw)
        if not translate.is_personal(raw):
            log.info(
                "Mend was added to Teams conversation %s; to post lessons there set broadcast.teams_channel",
                (raw.get("conversation") or {}).get("id"),
            )

    async def on_invoke(self, context: TurnContext, _state: TurnState) -> None:
        """Answer an invoke with 200 and change nothing: Mend's cards send Action.Submit, not invokes.

        Teams waits for an answer to every invoke and shows a failure for anything but
        200. An Action.Execute (`adaptiveCard/action`) on a card Mend did not make is
        told, in the form that action expects, that the button is out of date.
        """
        name = context.activity.name or ""
        body: dict[str, Any] | None = None
        if name == ADAPTIVE_CARD_ACTION:
            with i18n.speaking(i18n.first_spoken(context.activity.locale, self.uses.policy.locale)):
                body = {"statusCode": 200, "type": ACTIVITY_MESSAGE, "value": messages.bad_button()}
        log.info("Teams invoke %r answered without acting on it", name[:100])
        await context.send_activity(
            Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=200, body=body))
        )

    async def on_other(self, context: TurnContext, _state: TurnState) -> None:
        """Let every other kind of activity (typing, reactions, edits) pass: Mend has nothing to say to it."""
        log.debug("Teams %r activity ignored", (context.activity.type or "")[:100])

    async def remember(self, reference: dict[str, Any], raw: dict[str, Any]) -> None:
        """Store the sender's personal-chat reference when it is new (channel references are not theirs)."""
        actor = translate.actor_from(raw)
        address = self._new_address(reference, raw)
        if address is None:
            return
        outcome = await self.uses.run(
            self.uses.note_address(actor, address), what="storing a Teams address", actor=actor
        )
        if outcome.ok:  # otherwise the person's request still gets its answer; the next one retries
            self._addresses[actor.user_id] = address

    def _new_address(self, reference: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any] | None:
        """Return the sender's personal-chat reference if this process has not stored it yet."""
        user_id = translate.actor_from(raw).user_id
        if not translate.is_personal(raw) or not user_id:
            return None
        return None if self._addresses.get(user_id) == reference else reference

    async def press(self, context: TurnContext, raw: dict[str, Any], reference: dict[str, Any]) -> None:
        """Carry out a card click or form submission, show the outcome, and send what it caused."""
        press = translate.to_press(raw)
        actor = translate.actor_from(raw)
        what = f"Teams action {press.action}"
        address = self._new_address(reference, raw)
        work = self.uses.press(
            press.action,
            press.value,
            actor,
            press.inputs,
            request_key=translate.request_key(raw, press),
            address=address,
        )
        outcome = await self.uses.run(work, what=what, actor=actor)
        # A Home card stays a Home card: what its buttons bring comes as a new card.
        card_id = None if press.from_home else raw.get("replyToId")
        shown_at = None
        if outcome.ok and address is not None:
            self._addresses[actor.user_id] = address
        with i18n.speaking(outcome.language):
            if outcome.error is not None:
                await self.show_error(context, press, outcome.error, card_id)
            elif isinstance(outcome.result, Form):
                await _send(context, cards.render_form(outcome.result))
            elif not outcome.ok:
                await _send(context, cards.render_reply(outcome.result))
            else:
                activity_id = await _show(context, cards.render_reply(outcome.result), card_id)
                shown_at = sent_ref(reference, activity_id)
        await self.uses.after(outcome, shown_at, what=what)

    async def show_error(
        self, context: TurnContext, press: translate.Press, exc: MendError, card_id: Any
    ) -> None:
        """Show a field's error on the form it came from; any other error as a reply."""
        form = (
            await self._form_for(press, translate.actor_from(_raw(context.activity))) if exc.field else None
        )
        if form is not None and card_id:
            card = cards.render_form(form, values=press.inputs, error=exc.message, error_field=exc.field)
            await _show(context, card, card_id)
        else:
            await _send(context, cards.render_reply(messages.error(exc.message, field=exc.field)))

    async def _form_for(self, press: translate.Press, actor: Actor) -> Form | None:
        """Return the form a submission came from, to show it again with its error."""
        if press.action == ActionId.OPEN_CASE:
            return forms.case_form(self.uses.policy, press.inputs)
        opener = translate.FORM_OPENERS.get(ActionId(press.action)) if _known(press.action) else None
        if opener is None:
            return None
        outcome = await self.uses.run(
            self.uses.press(opener, press.value, actor), what=f"Teams form {opener}", actor=actor
        )
        return outcome.result if isinstance(outcome.result, Form) else None


def _raw(activity: Activity) -> dict[str, Any]:
    return activity.model_dump(mode="json", by_alias=True, exclude_none=True)


def _reference(activity: Activity) -> dict[str, Any]:
    return boundary.conversation_reference(activity)


async def _send(context: TurnContext, card: dict[str, Any]) -> str | None:
    response = await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))
    return response.id if response else None


async def _show(context: TurnContext, card: dict[str, Any], card_id: Any) -> str | None:
    """Replace the card that was clicked, or send a new one when it is not known."""
    if not card_id:
        return await _send(context, card)
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    activity.id = str(card_id)
    await context.update_activity(activity)
    return str(card_id)


def build_teams_bot(
    settings: Settings, uses: UseCases, *, connections: Connections | None = None
) -> TeamsBot:
    """Wire the SDK objects, the notifier and the listeners for one process."""
    connections = connections or build_connections(settings)
    # With credentials, Mend's token goes only to Microsoft's https hosts, whatever serviceUrl says.
    validator = OutboundHostValidator(enabled=True) if settings.microsoft_app_id else None
    adapter = CloudAdapter(connection_manager=connections, host_validator=validator)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # The SDK's default tells the user the exception text; log it and let the request fail.
        log.error("Teams turn failed: %r", error)
        raise error

    adapter.on_turn_error = on_turn_error
    agent = AgentApplication[TurnState](
        storage=MemoryStorage(), connection_manager=connections, start_typing_timer=False
    )
    notifier = TeamsNotifier(
        adapter,
        app_id=settings.microsoft_app_id,
        lessons_channel=uses.policy.broadcast.teams_channel,
        approvals_channel=uses.policy.approvals.teams_channel,
        tenant_id=settings.microsoft_app_tenant_id,
    )
    bot = TeamsBot(
        uses=uses,
        adapter=adapter,
        agent=agent,
        notifier=notifier,
        auth=connections.get_default_connection_configuration(),
        app_id=settings.microsoft_app_id,
    )
    agent.activity("message")(bot.on_message)
    agent.activity("conversationUpdate")(bot.on_installed)
    agent.activity("installationUpdate")(bot.on_installed)
    agent.invoke()(bot.on_invoke)  # every invoke name
    agent.add_route(lambda _context: True, bot.on_other, rank=RouteRank.LAST)
    return bot


def add_teams_routes(web_app: web.Application, bot: TeamsBot) -> None:
    """Add POST /api/messages (Bot Framework activities from Teams) to an aiohttp app."""
    web_app[TEAMS_APP_KEY] = bot
    if not bot.app_id:
        log.warning(
            "\n%s\nTEAMS IS UNAUTHENTICATED: MICROSOFT_APP_ID is not set and MEND_TEAMS_UNAUTHENTICATED"
            " is, so %s accepts requests from anyone.\nUse this only for local testing; set"
            " MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD in production.\n%s",
            "!" * 78,
            MESSAGES_PATH,
            "!" * 78,
        )

    async def on_startup(_app: web.Application) -> None:
        # The notifier sends from the dispatcher's threads through the SDK's client on this loop.
        bot.notifier.loop = asyncio.get_running_loop()

    async def messages_endpoint(request: web.Request) -> web.StreamResponse:
        if bot.app_id:
            identity = await authenticate(request.headers.get("Authorization", ""), bot.auth)
            if identity is None:
                return web.json_response({"error": "unauthorized"}, status=401)
        else:
            identity = ClaimsIdentity()
        refusal = await _refusal(request)
        if refusal is not None:
            return refusal
        with warnings.catch_warnings():
            # The SDK reads the identity under this plain string key; aiohttp prefers typed keys.
            warnings.simplefilter("ignore", NotAppKeyWarning)
            request["claims_identity"] = identity
        response = await bot.adapter.process(request, bot.agent)
        return response if response is not None else web.Response(status=202)

    web_app.on_startup.append(on_startup)
    web_app.router.add_post(MESSAGES_PATH, messages_endpoint)


def _known(action: str) -> bool:
    return action in {a.value for a in ActionId}


async def _refusal(request: web.Request) -> web.Response | None:
    """Return the answer to a body that is not an activity Mend can handle, or None to go on.

    The SDK reads the same body again (aiohttp keeps it), so what passes here is what it sees.
    """
    try:
        boundary.read_activity(await request.json())
    except web.HTTPRequestEntityTooLarge:
        log.warning("Teams activity refused with 413: the body is too large")
        raise
    except (ValueError, LookupError, RecursionError) as exc:  # Refused, bad JSON, bad UTF-8, bad charset
        reason = (
            str(exc) if isinstance(exc, boundary.Refused) else f"the body is not JSON ({type(exc).__name__})"
        )
        log.warning("Teams activity refused with 400: %s", reason)
        return web.json_response({"error": "not an activity Mend can handle", "detail": reason}, status=400)
    return None
