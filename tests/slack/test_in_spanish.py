"""A whole over-limit case on Slack in Spanish: what each person reads, from /recover to the lesson.

Alice and Carol use Slack in Spanish (users.info reports es-ES); the lessons channel reads
the policy's language (English), whoever writes the lesson.
"""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from db.models import StaffIdentity
from tests.slack.conftest import (
    LESSONS,
    SlackUser,
    load_staff,
    shown_inputs,
    slack_server,
    updated_view,
    wait_for,
)
from tests.slack.test_over_limit_case import CASE

SPANISH = {
    user: {"id": user, "locale": "es-ES", "profile": {"real_name": name}}
    for user, name in (("UALICE", "Alice Park"), ("UCAROL", "Carol Diaz"))
}


def read(call) -> str:
    """Return what a recorded call shows, as its reader sees the characters."""
    return json.dumps(call.args, ensure_ascii=False)


def test_a_case_is_played_in_spanish_from_recover_to_the_lesson(make_runtime):
    asyncio.run(_in_spanish(make_runtime))


async def _in_spanish(make_runtime):
    async with slack_server(make_runtime, users=SPANISH) as (endpoint, api, runtime):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        carol = SlackUser(endpoint, api, "UCAROL", "carol")

        # the help and the case form are in Spanish
        status, help_text = await alice.recover("help")
        assert status == 200 and "/recover history" in help_text
        await alice.recover("late parcel $80")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        view = opened.args["view"]
        assert view["title"]["text"] == "Arreglemos esto"
        assert view["submit"]["text"] == "Ver sugerencia"
        assert "Nombre del cliente" in read(opened)

        # a missing field is named in Spanish, on its field
        _, answer = await alice.submit(opened.answer["view"], **{**CASE, "customer_name": ""})
        error = json.loads(answer)["errors"]["customer_name"]
        assert error == "El campo Nombre del cliente es obligatorio: complétalo, por favor."

        # the suggestion: the policy's Spanish apology, amounts as a Spanish reader writes them
        await alice.submit(opened.answer["view"], **CASE)
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        assert "Di esto:" in read(suggestion)
        assert "Jane, siento muchísimo que su pedido no llegara en la fecha que le prometimos." in read(
            suggestion
        )
        assert "Reemplazo enviado por mensajería urgente" in read(suggestion)
        assert "400,00\xa0US$" in read(suggestion)  # the full refund, capped at the order value
        assert {"Pedir aprobación", "Otro importe", "Resolver"} <= set(suggestion.buttons())

        # Carol, the approver, reads the request in Spanish too: Mend knows her language since she
        # last opened it (before that, a message to her is in the directory's or the policy's)
        await carol.open_home()
        await wait_for(lambda: api.of("views.publish", user_id="UCAROL"))
        await alice.click(suggestion, "Pedir aprobación")
        (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UCAROL"))
        assert {"Aprobar", "Denegar"} <= set(request.buttons())
        await carol.click(request, "Aprobar")
        told = await wait_for(
            lambda: [
                c for c in api.of("chat.postMessage", channel="UALICE") if "Carol Diaz aprobó" in read(c)
            ]
        )
        assert "R-1001: Carol Diaz aprobó Reembolso completo del pedido (400,00\xa0US$)" in read(told[-1])

        # resolve, check the lesson, post it
        await alice.click(told[-1], "Resolver")
        (resolve,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        assert resolve.args["view"]["title"]["text"] == "Resolver R-1001"
        _, answer = await alice.submit(
            resolve.answer["view"],
            outcome="Reemplazo urgente enviado",
            root_cause="El mensajero cambió la hora de recogida",
            lesson="Confirmar la hora de recogida cada lunes",
        )
        preview = updated_view(answer)
        assert preview["submit"]["text"] == "Publicar aprendizaje"
        await alice.submit(preview, **shown_inputs(preview))

        # the channel reads its own language: the lesson's headings are English, the words Alice's
        (lesson,) = await wait_for(lambda: api.of("chat.postMessage", channel=LESSONS))
        assert "Confirmar la hora de recogida cada lunes" in read(lesson)
        assert "Lesson" in read(lesson) and "Aprendizaje" not in read(lesson)

        with runtime.sessions() as session:
            rows = session.execute(select(StaffIdentity.user_id, StaffIdentity.locale)).all()
        locales = {user: locale for user, locale in rows}
        assert locales["UALICE"] == "es-ES" and locales["UCAROL"] == "es-ES"
