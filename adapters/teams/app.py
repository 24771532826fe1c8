"""POST /api/messages: the Agents SDK's aiohttp hosting, listeners that call the core, and auth.

With MICROSOFT_APP_ID set, every request must carry a Bot Framework token for that
app (single-tenant with MICROSOFT_APP_TENANT_ID, multi-tenant without). Without it
Mend runs unauthenticated, for local testing only, and says so loudly.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web
from aiohttp.web_exceptions import NotAppKeyWarning
from microsoft_agents.activity import Activity, load_configuration_from_env
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
    TurnContext,
    TurnState,
)

from adapters.main import Runtime, dispatch_now
from adapters.settings import Settings
from adapters.teams import cards, translate
from adapters.teams.notifier import TeamsNotifier, sent_ref
from bot import actions, deliveries, forms, messages, staff
from bot.errors import MendError
from bot.ports import Notifier
from bot.replies import ActionId, Form, Reply
from bot.values import Target
from db import queries
from db.models import Offer

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
TOKEN_CHECK_SECONDS = 5.0
MULTI_TENANT = "botframework.com"
_SETTINGS = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__"
_GIVING = (ActionId.GIVE_OPTION, ActionId.REQUEST_APPROVAL, ActionId.GIVE_AMOUNT)
TEAMS_APP_KEY: web.AppKey[TeamsBot] = web.AppKey("mend_teams")


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
    """The Teams edge of one Mend process: the SDK objects and the listeners."""

    runtime: Runtime
    adapter: CloudAdapter
    agent: AgentApplication[TurnState]
    notifier: TeamsNotifier
    auth: AgentAuthConfiguration
    app_id: str | None
    # What the outbox is sent through after an action: the Teams notifier alone, or the
    # composition root's notifier that routes each delivery to its person's platform.
    dispatch_through: Notifier | None = None

    async def on_message(self, context: TurnContext, _state: TurnState) -> None:
        """Answer `recover [text]` with the case form, and every card submission through the core."""
        raw = _raw(context.activity)
        await self.remember(context.activity, raw)
        if translate.is_press(raw):
            await self.press(context, raw)
            return
        text = translate.recover_text(raw)
        if text is not None:
            policy = self.runtime.policy
            form = forms.case_form(policy, forms.prefill_from_text(text, policy))
            await _send(context, cards.render_form(form))

    async def on_installed(self, context: TurnContext, _state: TurnState) -> None:
        """Keep the conversation reference when Mend is installed, for proactive messages."""
        raw = _raw(context.activity)
        if not translate.bot_was_added(raw):
            return
        await self.remember(context.activity, raw)
        if not translate.is_personal(raw):
            log.info(
                "Mend was added to Teams conversation %s; to post lessons there set broadcast.teams_channel",
                (raw.get("conversation") or {}).get("id"),
            )

    async def remember(self, activity: Activity, raw: dict[str, Any]) -> None:
        """Store the personal-chat reference of the sender (channel references are not theirs)."""
        reference = _reference(activity)
        self.notifier.learn(reference)
        actor = translate.actor_from(raw)
        if not translate.is_personal(raw) or not actor.user_id:
            return
        rt = self.runtime

        def store() -> None:
            with rt.sessions() as session:
                staff.remember_address(actor, reference, session=session, policy=rt.policy, clock=rt.clock)

        try:
            await asyncio.to_thread(store)
        except Exception:  # the person's request still gets its answer; the next message retries
            log.exception("cannot store the Teams conversation reference of %s", actor.user_id)

    async def press(self, context: TurnContext, raw: dict[str, Any]) -> None:
        """Carry out a card click or form submission, show the outcome, and send what it caused."""
        press = translate.to_press(raw)
        actor = translate.actor_from(raw)
        key = translate.request_key(raw, press)
        card_id = raw.get("replyToId")
        try:
            result = await asyncio.to_thread(
                self._handle, press.action, press.value, actor, press.inputs, key
            )
        except MendError as exc:
            await self.show_error(context, press, exc, card_id)
            return
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("Teams action %s failed [%s]", press.action, correlation)
            await _send(context, cards.render_reply(messages.unexpected(correlation)))
            return
        if isinstance(result, Form):
            await _send(context, cards.render_form(result))
        else:
            shown_at = await _show(context, cards.render_reply(result), card_id)
            if press.action in _GIVING and key:
                reference = _reference(context.activity)
                await asyncio.to_thread(
                    self._remember_request_card, press, key, sent_ref(reference, shown_at)
                )
        await self.dispatch()

    async def show_error(
        self, context: TurnContext, press: translate.Press, exc: MendError, card_id: Any
    ) -> None:
        """Show a field's error on the form it came from; any other error as a reply."""
        form = None
        if exc.field:
            try:
                form = await asyncio.to_thread(
                    self._form_for, press, translate.actor_from(_raw(context.activity))
                )
            except MendError:
                form = None
        if form is not None and card_id:
            card = cards.render_form(form, values=press.inputs, error=exc.message, error_field=exc.field)
            await _show(context, card, card_id)
        else:
            await _send(context, cards.render_reply(messages.error(exc.message, field=exc.field)))

    async def dispatch(self) -> None:
        """Send what the outbox holds that is due now (approval cards, card updates, lessons)."""
        await dispatch_now(self.runtime, self.dispatch_through or self.notifier, after="a Teams action")

    def _handle(
        self, action: str, value: str, actor: Any, inputs: dict[str, str], key: str | None
    ) -> Reply | Form:
        rt = self.runtime
        with rt.sessions() as session:
            return actions.handle(
                action,
                value,
                actor,
                inputs,
                session=session,
                policy=rt.policy,
                clock=rt.clock,
                request_key=key,
            )

    def _form_for(self, press: translate.Press, actor: Any) -> Form | None:
        if press.action == ActionId.OPEN_CASE:
            return forms.case_form(self.runtime.policy, press.inputs)
        opener = translate.FORM_OPENERS.get(ActionId(press.action)) if _known(press.action) else None
        if opener is None:
            return None
        result = self._handle(opener, press.value, actor, {}, None)
        return result if isinstance(result, Form) else None

    def _remember_request_card(self, press: translate.Press, key: str, where: dict[str, Any]) -> None:
        """Record the employee's 'sent for approval' card, so the decision updates it in place."""
        rt = self.runtime
        case_id = Target.decode(press.action, press.value).case_id
        if case_id is None:
            return
        with rt.sessions() as session:
            request = queries.get_pending_request(session, case_id)
            offer = session.get(Offer, request.offer_id) if request else None
            if request is None or offer is None or offer.request_key != key:
                return
            deliveries.remember_message(
                session,
                kind=deliveries.Kind.APPROVAL_REQUEST,
                case_id=case_id,
                recipient_id=request.requested_by_id,
                sent_ref=where,
                now=rt.clock.now(),
                request_id=request.id,
            )
            session.commit()


def _raw(activity: Activity) -> dict[str, Any]:
    return activity.model_dump(mode="json", by_alias=True, exclude_none=True)


def _reference(activity: Activity) -> dict[str, Any]:
    reference = activity.get_conversation_reference().model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    reference.pop("requestId", None)
    reference.pop("activityId", None)
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (activity.conversation.tenant_id if activity.conversation else None) or (
        channel_data.get("tenant") or {}
    ).get("id")
    if tenant:
        reference.setdefault("conversation", {})["tenantId"] = tenant
    return reference


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
    runtime: Runtime, *, connections: Connections | None = None, dispatch_through: Notifier | None = None
) -> TeamsBot:
    """Wire the SDK objects, the notifier and the listeners for one process."""
    settings = runtime.settings
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
        lessons_channel=runtime.policy.broadcast.teams_channel,
        approvals_channel=runtime.policy.approvals.teams_channel,
        tenant_id=settings.microsoft_app_tenant_id,
    )
    bot = TeamsBot(
        runtime=runtime,
        adapter=adapter,
        agent=agent,
        notifier=notifier,
        auth=connections.get_default_connection_configuration(),
        app_id=settings.microsoft_app_id,
        dispatch_through=dispatch_through,
    )
    agent.activity("message")(bot.on_message)
    agent.activity("conversationUpdate")(bot.on_installed)
    agent.activity("installationUpdate")(bot.on_installed)
    return bot


def add_teams_routes(
    web_app: web.Application,
    runtime: Runtime,
    *,
    connections: Connections | None = None,
    dispatch_through: Notifier | None = None,
) -> TeamsBot:
    """Add POST /api/messages (Bot Framework activities from Teams) to an aiohttp app.

    Returns the Teams edge, whose `notifier` the composition root can hand to the
    scheduled dispatcher (or to a notifier that routes per platform). When Slack
    runs in the same process, pass that routing notifier as `dispatch_through`, so
    deliveries for Slack users dispatched after a Teams action go to Slack.
    """
    bot = build_teams_bot(runtime, connections=connections, dispatch_through=dispatch_through)
    web_app[TEAMS_APP_KEY] = bot
    if not bot.app_id:
        log.warning(
            "\n%s\nTEAMS IS UNAUTHENTICATED: MICROSOFT_APP_ID is not set, so %s accepts requests"
            " from anyone.\nUse this only for local testing; set MICROSOFT_APP_ID and"
            " MICROSOFT_APP_PASSWORD in production.\n%s",
            "!" * 78,
            MESSAGES_PATH,
            "!" * 78,
        )

    async def on_startup(_app: web.Application) -> None:
        bot.notifier.loop = asyncio.get_running_loop()

    async def messages_endpoint(request: web.Request) -> web.StreamResponse:
        bot.notifier.loop = asyncio.get_running_loop()
        if bot.app_id:
            identity = await authenticate(request.headers.get("Authorization", ""), bot.auth)
            if identity is None:
                return web.json_response({"error": "unauthorized"}, status=401)
        else:
            identity = ClaimsIdentity()
        with warnings.catch_warnings():
            # The SDK reads the identity under this plain string key; aiohttp prefers typed keys.
            warnings.simplefilter("ignore", NotAppKeyWarning)
            request["claims_identity"] = identity
        return await bot.adapter.process(request, bot.agent)

    web_app.on_startup.append(on_startup)
    web_app.router.add_post(MESSAGES_PATH, messages_endpoint)
    return bot


def _known(action: str) -> bool:
    return action in {a.value for a in ActionId}
