"""The app a team would write instead of Mend with the same libraries: bench/slack_ack.py's yardstick.

A slack-bolt AsyncApp served through aiohttp like the bench's bare app, doing the work
Mend does when a case is opened, with no more machinery than that takes:

- `/recover` acks, then opens a case modal the size of Mend's (the same nine inputs and
  option lists; the command's text prefills the description) with `views.open`;
- a case-form submission checks the fields (a wrong one is answered on its field), writes
  the case and one audit row to SQLite in one transaction through SQLAlchemy 2's ORM
  (models of its own, a session per submission, as the documentation shows), acks (which closes the modal),
  then posts a suggestion of the size of Mend's to the person with `chat.postMessage`.

It keeps the libraries' defaults, as their documentation shows them: slack_sdk's client
opens an HTTP session for each Web API call and encodes JSON with the standard library,
which Mend tunes (one session, orjson). SQLite is set up like Mend's (WAL,
synchronous=NORMAL, foreign keys on, transactions begun IMMEDIATE); the write runs in
one worker thread, so the event loop goes on answering while SQLite commits. Each process
listens with SO_REUSEPORT, so several can share a port like the bare app's.

    .venv/bin/python bench/slack_equivalent.py PORT WEB_API_URL DATABASE_FILE
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import JSON, Engine, ForeignKey, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

SECRET = "bench-signing-secret"  # bench/slack_ack.py signs its requests with it
CASE_CALLBACK = "mend_open_case"  # the callback id bench/slack_ack.py submits
CURRENCY = "USD"
CATEGORIES = {
    "late_delivery": "Late or missed delivery",
    "wrong_or_missing_item": "Wrong or missing item",
    "defective_product": "Defective product",
    "billing_error": "Billing error",
    "long_wait": "Long wait",
    "staff_conduct": "Staff conduct",
    "missed_appointment": "Missed appointment",
    "repair_failed_again": "Repair failed more than once",
    "service_outage": "Service outage",
}
SEVERITIES = {
    "minor": "Minor: an annoyance",
    "major": "Major: real trouble",
    "critical": "Critical: serious harm or loss",
}
TIERS = {"standard": "Standard", "silver": "Silver", "gold": "Gold", "platinum": "Platinum"}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _options(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [{"text": _plain(label), "value": value} for value, label in labels.items()]


def case_modal(text: str) -> dict[str, Any]:
    """Return the case modal, the command's text (if any) in the description."""
    description: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": 3000,
        "placeholder": _plain("In a sentence or two"),
    }
    if text:
        description["initial_value"] = text
    return {
        "type": "modal",
        "callback_id": CASE_CALLBACK,
        "title": _plain("Make it right"),
        "submit": _plain("Get suggestion"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn("Tell us what happened; you get an apology and what you may offer."),
            },
            {
                "type": "input",
                "block_id": "customer_name",
                "label": _plain("Customer name"),
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            },
            {
                "type": "input",
                "block_id": "category",
                "label": _plain("What went wrong"),
                "element": {"type": "static_select", "action_id": "value", "options": _options(CATEGORIES)},
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": _plain("How bad"),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": _options(SEVERITIES),
                    "initial_option": {"text": _plain(SEVERITIES["major"]), "value": "major"},
                },
            },
            {
                "type": "input",
                "block_id": "description",
                "label": _plain("What happened"),
                "element": description,
            },
            {
                "type": "input",
                "block_id": "customer_ref",
                "label": _plain("Customer or order reference"),
                "optional": True,
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 100},
                "hint": _plain("Finds the customer's earlier cases"),
            },
            {
                "type": "input",
                "block_id": "customer_email",
                "label": _plain("Customer email"),
                "optional": True,
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 320},
            },
            {
                "type": "input",
                "block_id": "customer_phone",
                "label": _plain("Customer phone"),
                "optional": True,
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 40},
            },
            {
                "type": "input",
                "block_id": "order_value",
                "label": _plain("Order value"),
                "optional": True,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "placeholder": _plain(f"in {CURRENCY}"),
                },
            },
            {
                "type": "input",
                "block_id": "tier",
                "label": _plain("Customer tier"),
                "optional": True,
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": _options(TIERS),
                    "initial_option": {"text": _plain(TIERS["standard"]), "value": "standard"},
                },
            },
        ],
    }


def read_case(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Return a submitted case form's fields, and the errors to show on the fields that are wrong."""

    def entered(name: str) -> str:
        element = values.get(name, {}).get("value", {})
        if element.get("type") == "static_select":
            return str((element.get("selected_option") or {}).get("value") or "")
        return str(element.get("value") or "").strip()

    case = {name: entered(name) for name in values}
    errors: dict[str, str] = {}
    for name, limit in [("customer_name", 200), ("description", 3000)]:
        if not case.get(name):
            errors[name] = "Please fill this in"
        elif len(case[name]) > limit:
            errors[name] = f"At most {limit} characters"
    for name, limit in [("customer_ref", 100), ("customer_email", 320), ("customer_phone", 40)]:
        if len(case.get(name) or "") > limit:
            errors[name] = f"At most {limit} characters"
    if case.get("customer_email") and "@" not in case["customer_email"]:
        errors["customer_email"] = "That is not an email address"
    case["tier"] = case.get("tier") or "standard"
    for name, allowed in [("category", CATEGORIES), ("severity", SEVERITIES), ("tier", TIERS)]:
        if case.get(name) not in allowed:
            errors[name] = "Please pick one"
    case["order_value"], amount = None, case.get("order_value")
    if amount:
        try:
            minor: Decimal | None = Decimal(amount.lstrip("$").replace(",", "")) * 100
        except InvalidOperation:
            minor = None
        if minor is None or not minor.is_finite() or minor < 0 or minor != minor.to_integral_value():
            errors["order_value"] = f"An amount in {CURRENCY}, like 80 or 80.50"
        else:
            case["order_value"] = int(minor)
    return case, errors


def suggestion(case_id: int, case: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Return the suggestion posted to the person: what to say and what to offer, with buttons."""
    first = case["customer_name"].split()[0]
    label = CATEGORIES[case["category"]]
    say = (
        f"{first}, I'm truly sorry about this: {label.lower()} is not what you should get from us, "
        "and it is on us, not you.\nI'm looking into it myself right now, and I'll tell you "
        "what happens next before the end of the day."
    )
    title = f"*R-{case_id} · {label} · {case['severity']}*"
    value = str(case_id)

    def offer(n: int, text: str, primary: bool) -> dict[str, Any]:
        button = {"type": "button", "text": _plain("Give"), "action_id": "give_option", "value": str(n)}
        return {
            "type": "section",
            "text": _mrkdwn(f"*{n}. {text}*\nwithin your authority ($25.00 available to you now)"),
            "accessory": {**button, "style": "primary"} if primary else button,
        }

    blocks = [
        {"type": "section", "text": _mrkdwn(title)},
        {"type": "section", "text": _mrkdwn(f"Say this:\n{say}")},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Customer*\n{case['customer_name']} ({case['tier']})"),
                _mrkdwn(f"*Order*\n{case.get('customer_ref') or 'none given'}"),
                _mrkdwn("*Your authority*\n$25.00 per incident, $300.00 a month"),
            ],
        },
        offer(1, "Sincere apology and the fix, no compensation", primary=True),
        offer(2, "Refund of the delivery charge: $7.00", primary=False),
        {
            "type": "context",
            "elements": [_mrkdwn(f"Options suggested for a {case['severity']} case. Case is open.")],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": _plain("Other amount"),
                    "action_id": "choose_amount",
                    "value": value,
                },
                {
                    "type": "button",
                    "text": _plain("Resolve"),
                    "action_id": "resolve",
                    "value": value,
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": _plain("Cancel case"),
                    "action_id": "cancel",
                    "value": value,
                    "style": "danger",
                },
            ],
        },
    ]
    return f"{title.strip('*')}: Say this:\n{say}", blocks


class Base(DeclarativeBase):
    """The equivalent app's own tables, declared as SQLAlchemy 2's documentation shows."""


class CaseRow(Base):
    """A recovery case."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    opened_by: Mapped[str]
    customer_name: Mapped[str]
    customer_ref: Mapped[str | None] = mapped_column(index=True)
    customer_email: Mapped[str | None]
    customer_phone: Mapped[str | None]
    category: Mapped[str]
    severity: Mapped[str]
    description: Mapped[str]
    order_value: Mapped[int | None]
    currency: Mapped[str]
    tier: Mapped[str]
    status: Mapped[str] = mapped_column(index=True, default="open")
    created_at: Mapped[datetime] = mapped_column(index=True)


class AuditRow(Base):
    """One audit event of a case."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    actor: Mapped[str]
    action: Mapped[str]
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


def connect(database: str) -> Engine:
    """Return an engine on the SQLite file, its tables made; each transaction begins IMMEDIATE."""
    engine = create_engine(f"sqlite:///{database}", connect_args={"timeout": 10})

    @event.listens_for(engine, "connect")
    def _set_up(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's documented recipe for BEGIN IMMEDIATE
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    Base.metadata.create_all(engine)
    return engine


def write_case(sessions: sessionmaker[Session], user: str, case: dict[str, Any]) -> int:
    """Write the case and its audit row in one transaction; return the case's id."""
    now = datetime.now(UTC)
    with sessions.begin() as session:
        row = CaseRow(
            opened_by=user,
            customer_name=case["customer_name"],
            customer_ref=case.get("customer_ref") or None,
            customer_email=case.get("customer_email") or None,
            customer_phone=case.get("customer_phone") or None,
            category=case["category"],
            severity=case["severity"],
            description=case["description"],
            order_value=case["order_value"],
            currency=CURRENCY,
            tier=case["tier"],
            created_at=now,
        )
        session.add(row)
        session.flush()
        detail = {"category": case["category"], "severity": case["severity"]}
        session.add(AuditRow(case_id=row.id, actor=user, action="case_opened", at=now, detail=detail))
        return row.id


def main(port: int, api_url: str, database: str) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    logging.basicConfig(level=logging.WARNING)
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-equivalent", base_url=api_url))
    sessions = sessionmaker(connect(database), expire_on_commit=False)
    writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite")  # SQLite has one writer anyway

    @app.command("/recover")
    async def recover(ack, body, client):  # type: ignore[no-untyped-def]
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=case_modal(body.get("text") or ""))

    @app.view(CASE_CALLBACK)
    async def submit(ack, body, client):  # type: ignore[no-untyped-def]
        case, errors = read_case(body["view"]["state"]["values"])
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        user = body["user"]["id"]
        case_id = await asyncio.get_running_loop().run_in_executor(writer, write_case, sessions, user, case)
        await ack()
        text, blocks = suggestion(case_id, case)
        await client.chat_postMessage(channel=user, text=text, blocks=blocks)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web.run_app(web_app, host="127.0.0.1", port=port, access_log=None, print=None, reuse_port=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__.strip().splitlines()[-1].strip())
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
