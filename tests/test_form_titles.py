"""Every form's title and buttons fit Slack's modal (24 characters) in every language Mend speaks.

Slack cuts a longer title or button with an ellipsis; the pseudo-locale test plays the
flows, this one builds every form there is, in each language, with references as long as
they get in a busy year (R-10042, T-1000).
"""

from __future__ import annotations

import pytest

from adapters.slack.blocks import TITLE_LIMIT
from bot import forms, i18n
from bot.i18n import _
from bot.messages.practice import FORM_SUBMIT, FORM_TITLE
from db.models import Case, Task
from policies.schema import Policy

CASE = Case(id=9042, category="late_delivery", severity="major", customer_name="Jane Doe", tier="standard")
TASK = Task(id=1000, title="Fix the system: late delivery (3 cases in 30 days)")


def _forms(policy: Policy) -> list[tuple[str, str]]:
    built = [
        forms.case_form(policy),
        forms.amount_form(CASE, policy, 2500),
        forms.deny_form(1000, "R-10042: refund of $400.00"),
        forms.resolve_form(CASE, policy),
        forms.lesson_form(CASE, {}, "", policy),
        forms.reason_form(CASE, reopen=True),
        forms.reason_form(CASE, reopen=False),
        *(forms.task_form(TASK, action) for action in forms._TASK_FORMS),
    ]
    shown = [(form.title, form.submit_label) for form in built]
    # Built inside their use cases (they read the database): their words, as those use cases say them.
    shown += [(_(FORM_TITLE), _(FORM_SUBMIT)), (_("Talk to them"), _("Save")), (_("Cancel"), _("Cancel"))]
    return shown


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_form_title_and_button_fits_a_slack_modal(policy: Policy, language: str) -> None:
    with i18n.speaking(language):
        too_long = [text for pair in _forms(policy) for text in pair if len(text) > TITLE_LIMIT]
    assert not too_long, f"{language}: longer than {TITLE_LIMIT} characters: {too_long}"
