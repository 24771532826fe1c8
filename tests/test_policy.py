"""The policy table: loading, validation messages, and the pure suggestion rules."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from bot import forms, i18n
from bot.messages.offers import verdict_detail
from bot.messages.suggestions import basis
from policies.loader import DEFAULT_POLICY, PolicyError, load_policy, parse_policy
from policies.money import AmountError, format_money, parse_amount
from policies.rules import CaseFacts, Verdict, headroom, judge, suggest
from policies.schema import OptionType, Policy, Severity


def facts(**overrides) -> CaseFacts:
    values = dict(
        category="late_delivery",
        severity=Severity.MAJOR,
        tier="standard",
        customer_first_name="Jane",
        employee_name="Alice",
        what_happened="late",
    )
    values.update(overrides)
    return CaseFacts(**values)


def test_default_policy_has_the_roles_and_categories_staff_need(policy: Policy) -> None:
    assert {"frontline", "supervisor", "manager", "director"} <= set(policy.roles)
    assert len(policy.categories) >= 8
    for category in policy.categories.values():
        assert set(category.compensation) == set(Severity)
    kinds = {o.type for c in policy.categories.values() for opts in c.compensation.values() for o in opts}
    assert kinds == set(OptionType)


def test_suggestion_apologises_by_first_name_without_blaming_the_customer(policy: Policy) -> None:
    suggestion = suggest(policy, facts(), role="frontline", spent=0)
    assert suggestion.apology.startswith("Jane, I'm truly sorry")
    assert "on us, not you" in suggestion.apology
    assert [o.rank for o in suggestion.options] == [1, 2, 3]


def test_option_at_the_limit_is_within_and_one_cent_over_is_not() -> None:
    room = headroom(load_policy(), role="frontline", spent=0)
    assert judge(2500, room) is Verdict.WITHIN
    assert judge(2501, room) is Verdict.OVER_LIMIT


def test_used_up_budget_sends_even_small_offers_for_approval(policy: Policy) -> None:
    room = headroom(policy, role="frontline", spent=29_500)
    assert room.available == 500
    assert judge(500, room) is Verdict.WITHIN
    assert judge(700, room) is Verdict.OVER_BUDGET
    options = suggest(policy, facts(), role="frontline", spent=30_000).options
    assert not any(o.within_authority for o in options)
    assert options[0].verdict is Verdict.OVER_BUDGET
    assert "budget" in verdict_detail(options[0].verdict, room, policy)


def test_repeat_incidents_raise_the_severity_and_the_amounts(policy: Policy) -> None:
    first = suggest(policy, facts(), role="manager", spent=0)
    third = suggest(policy, facts(earlier_incidents=2), role="manager", spent=0)
    assert first.severity is Severity.MAJOR
    assert third.severity is Severity.CRITICAL
    assert third.options[0].amount > first.options[0].amount
    assert "2 earlier incidents" in basis(third.basis)


def test_a_gold_customer_gets_more_than_a_standard_one(policy: Policy) -> None:
    standard = suggest(policy, facts(), role="manager", spent=0).options[1].amount
    gold = suggest(policy, facts(tier="gold"), role="manager", spent=0).options[1].amount
    assert gold == round(standard * 1.25 / 100) * 100


def test_the_suggestion_says_in_words_why_amounts_are_higher(policy: Policy) -> None:
    gold = suggest(policy, facts(tier="gold"), role="manager", spent=0)
    assert "amounts +25% for a gold customer (+25%)" in basis(gold.basis)
    both = suggest(policy, facts(tier="gold", earlier_incidents=1), role="manager", spent=0)
    repeat = policy.adjustments.repeat_multipliers[0]
    total = f"+{(Decimal('1.25') * repeat - 1) * 100:.0f}%"
    assert (
        f"amounts {total} for a gold customer (+25%) and 1 earlier incident (+{(repeat - 1) * 100:.0f}%)"
        in basis(both.basis)
    )
    assert "x1." not in basis(both.basis)


def test_percent_options_use_the_order_value_and_never_exceed_it(policy: Policy) -> None:
    options = suggest(
        policy, facts(severity=Severity.CRITICAL, order_value=8000), role="manager", spent=0
    ).options
    refund = next(o for o in options if o.type is OptionType.REFUND)
    assert refund.amount == 8000
    without_value = suggest(policy, facts(severity=Severity.CRITICAL), role="manager", spent=0).options
    assert next(o for o in without_value if o.type is OptionType.REFUND).amount == 40000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("abc", "not a number"),
        ("99999999999", "more than Mend accepts"),
        ("1.234", "decimal places"),
        ("NaN", "not a number"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        parse_amount(text, "USD")


def test_amounts_are_read_as_exact_minor_units() -> None:
    assert parse_amount("$1,234.50", "USD") == 123450
    assert parse_amount("0.10", "USD") == 10
    assert parse_amount("500", "JPY") == 500
    assert format_money(123450, "USD") == "$1,234.50"


def test_a_broken_policy_file_names_file_line_and_field(tmp_path: Path) -> None:
    text = (
        DEFAULT_POLICY.read_text()
        .replace("limit: 25 ", "limit: -25 ")
        .replace("default_role: frontline", "default_role: intern")
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(PolicyError) as error:
        load_policy(bad)
    problems = {p.field: p for p in error.value.problems}
    limit = problems["roles.frontline.limit"]
    assert limit.file == str(bad)
    assert text.splitlines()[limit.line - 1].strip().startswith("limit: -25")
    assert "greater than or equal to 0" in limit.message


def test_a_missing_severity_and_an_unknown_placeholder_are_both_reported() -> None:
    text = DEFAULT_POLICY.read_text()
    text = text.replace(
        "      critical:\n        - {type: voucher, amount: 50}\n"
        "        - {type: discount, percent: 25, cap: 150}\n",
        "",
    )
    text = text.replace("I'm sorry we charged you", "I'm sorry {customer} we charged you")
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "p.yaml")
    messages = [str(p) for p in error.value.problems]
    assert any("categories.billing_error.compensation" in m and "critical" in m for m in messages)
    assert any("categories.billing_error.apology" in m and "{customer}" in m for m in messages)


def test_yaml_syntax_errors_give_the_line() -> None:
    with pytest.raises(PolicyError) as error:
        parse_policy("currency: USD\nroles: [\n", "p.yaml")
    assert error.value.problems[0].line >= 2
    assert "not valid YAML" in error.value.problems[0].message


def test_a_percent_option_without_a_cap_is_refused() -> None:
    text = DEFAULT_POLICY.read_text().replace(
        "{type: discount, percent: 15, cap: 40}", "{type: discount, percent: 15}"
    )
    with pytest.raises(PolicyError, match="needs a cap"):
        parse_policy(text)


def test_policy_amounts_become_minor_units(policy: Policy) -> None:
    assert policy.to_minor(Decimal("12.5")) == 1250


def test_a_supervisor_who_may_give_less_than_the_front_line_is_refused() -> None:
    text = DEFAULT_POLICY.read_text().replace("limit: 75", "limit: 10")
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "p.yaml")
    (problem,) = error.value.problems
    assert problem.field == "roles.supervisor.limit"
    assert text.splitlines()[problem.line - 1].strip().startswith("limit: 10")
    assert "supervisor's limit of 10 is below the limit of frontline (25)" in problem.message


def test_an_approver_who_may_approve_less_than_the_roles_below_may_give_is_refused() -> None:
    text = DEFAULT_POLICY.read_text().replace("approve_up_to: 150", "approve_up_to: 5")
    with pytest.raises(PolicyError) as error:
        parse_policy(text, "p.yaml")
    (problem,) = error.value.problems
    assert problem.field == "roles.supervisor.approve_up_to"
    assert problem.message.startswith(
        "supervisor may approve up to 5, below the limit of frontline (25), a role that reports to it"
    )
    assert "raise approve_up_to to at least 25" in problem.message


def test_a_policy_file_that_is_not_utf8_is_one_problem_that_says_how_to_convert_it(tmp_path: Path) -> None:
    latin1 = tmp_path / "policy.yaml"
    text = DEFAULT_POLICY.read_text().replace("Frontline", "Équipe")
    latin1.write_bytes(text.encode("latin-1"))
    with pytest.raises(PolicyError) as error:
        load_policy(latin1)
    (problem,) = error.value.problems
    assert problem.line == next(n for n, line in enumerate(text.splitlines(), 1) if "Équipe" in line)
    assert "not UTF-8" in problem.message and "iconv -f latin1 -t utf-8" in problem.message


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("item missing a third time", "wrong_or_missing_item"),
        ("parcel late again", "late_delivery"),
        ("the repair failed, still broken", "repair_failed_again"),
        # what people type in the other languages Mend speaks
        ("paquete llegó tarde 80", "late_delivery"),
        ("cobro duplicado en la factura", "billing_error"),
        ("Paket zu spät", "late_delivery"),
        ("Techniker nicht erschienen", "missed_appointment"),
        ("colis en retard", "late_delivery"),
        ("le technicien n'est pas venu", "missed_appointment"),
        ("attente trop longue", "long_wait"),
    ],
)
def test_the_words_typed_prefill_the_kind_of_lapse_not_how_often_it_happened(
    policy: Policy, text: str, category: str
) -> None:
    assert forms.prefill_from_text(text, policy)["category"] == category


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("learning:\n  recurring: {by: [location]}\n", "use [category, root_cause] or [category, location]"),
        ("learning:\n  root_causes: {late_delivery: {other: Other}}\n", "leave out 'other'"),
        ("learning:\n  owners: {parking: ops@example.com}\n", "names the category 'parking'"),
    ],
)
def test_the_learning_section_is_checked(section: str, message: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(message)):
        parse_policy(DEFAULT_POLICY.read_text() + "\n" + section)  # the later learning: replaces it


def test_every_category_offers_other_among_its_root_causes(policy: Policy) -> None:
    causes = policy.learning.causes_of("late_delivery")
    assert list(causes)[-1] == "other" and "courier_delay" in causes
    assert list(policy.learning.causes_of("parking")) == ["other"]


@pytest.mark.parametrize(
    ("typed", "language", "cents"),
    [
        ("late parcel $80", "en", 8000),
        ("1,200.50 dollars, parcel late", "en", 120050),
        ("paquete tarde, 120,50 EUR", "es", 12050),
        ("Paket zu spät, 1.200 €", "de", 120000),
        ("colis en retard €80", "fr", 8000),
    ],
)
def test_an_amount_typed_after_recover_prefills_the_order_value_as_the_person_means_it(
    policy: Policy, typed: str, language: str, cents: int
) -> None:
    prefilled = forms.prefill_from_text(typed, policy)["order_value"]
    with i18n.speaking(language):
        assert parse_amount(prefilled, policy.currency, decimal_comma=i18n.decimal_comma()) == cents
