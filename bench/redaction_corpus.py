"""The seeded Faker corpus of bench/redaction.py: lessons with and without personal data.

`Corpus(seed)` writes lessons from bench/redaction_templates.py, filling each {slot} with a customer's
own data in the forms people type it (the case's `CustomerData`) or with third-party data (people,
addresses, phones, IBANs, ids from several locales), and records every item it embedded as a `Case`.
"""

from __future__ import annotations

import random
import re
import string
import unicodedata
from dataclasses import dataclass

from faker import Faker
from redaction_templates import CLEAN_TEMPLATES, FILL, PII_TEMPLATES

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "nl_NL", "da_DK")
# Phone numbering: country code, trunk prefix, first digits of mobiles, international grouping.
PLANS = {
    "en_US": ("1", "", "2345679", "334"),
    "en_GB": ("44", "0", "7", "46"),
    "de_DE": ("49", "0", "1", "38"),
    "fr_FR": ("33", "0", "67", "12222"),
    "es_ES": ("34", "", "67", "333"),
    "nl_NL": ("31", "0", "6", "18"),
    "da_DK": ("45", "", "23456", "2222"),
}
ALNUM = string.ascii_uppercase + string.digits
# The customer's references as the case form holds them: prefix, what staff call it, length, alphabet.
REF_KINDS = (("ORD", "order", 5, string.digits), ("LOY", "loyalty number", 8, string.digits))
REF_KINDS += (("BKG", "booking", 6, ALNUM), ("TKT", "ticket", 6, string.digits))
NID = {"en_US": ("SSN", "ssn"), "en_GB": ("NI number", "nino"), "fr_FR": ("social security number", "ssn")}
NID |= {"nl_NL": ("BSN", "ssn"), "es_ES": ("DNI", "nif")}
PRONOUNS = {"she": ("she", "he"), "him": ("her", "him"), "his": ("her", "his")}  # (female, male)
FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "ß": "ss", "ł": "l"})


@dataclass
class Case:
    text: str
    items: list[tuple[str, str, int, int]]  # kind, the exact substring inserted, start, end
    customer: dict  # CustomerData's fields


def plain(s: str) -> str:
    """Without accents, as people type names on an English keyboard: Søndergaard -> Sondergaard."""
    decomposed = unicodedata.normalize("NFKD", s.translate(FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def chunks(s: str, size: int) -> list[str]:
    return [s[i : i + size] for i in range(0, len(s), size)]


def split_by(digits: str, groups: str) -> list[str]:
    """("4155550134", "334") -> ["415", "555", "0134"]"""
    ends = [sum(map(int, groups[: i + 1])) for i in range(len(groups))]
    return [digits[start:end] for start, end in zip([0, *ends], ends, strict=False)]


class Corpus:
    """Seeded generator of lessons. A template's {slot} becomes (kind or None, text) segments."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fk = {loc: Faker(loc) for loc in LOCALES}
        for i, fk in enumerate(self.fk.values()):
            fk.seed_instance(seed * 100 + i)
        self.new_customer()

    def pick(self, seq):
        return self.rng.choice(seq)

    def grouped(self, digits: str, sep: str) -> str:
        """In groups of 2, 3 or 4 digits, none left alone at the end."""
        return sep.join(chunks(digits, self.pick([g for g in (2, 3, 4) if len(digits) % g != 1])))

    def digits(self, n: int, alphabet: str = string.digits) -> str:
        return "".join(self.pick(alphabet) for _ in range(n))

    def person(self, loc: str, male: bool) -> tuple[str, str]:
        fk = self.fk[loc]
        first, last = fk.first_name_male() if male else fk.first_name_female(), fk.last_name()
        while "auch" in last or last.endswith(" II"):  # de_DE oddities ("Koch II", "auch Schlauchin")
            last = fk.last_name()
        if self.rng.random() < 0.12:
            last = f"{last}-{fk.last_name().split()[-1]}"
        elif self.rng.random() < 0.15 and loc in ("nl_NL", "de_DE", "fr_FR", "es_ES"):
            particles = {"nl_NL": "van der|van|de|van den", "de_DE": "von", "fr_FR": "de|de la|du"}
            last = f"{self.pick(particles.get(loc, 'de la|del').split('|'))} {last.split()[-1]}"
        return first, last

    def new_customer(self) -> None:
        loc, self.male = self.pick(LOCALES), self.rng.random() < 0.5
        first, last = self.person(loc, self.male)
        cc, _, lead, groups = PLANS[loc]
        nsn = self.pick(lead) + self.digits(sum(map(int, groups)) - 1)
        local = self.pick([f"{first}.{last}", f"{first[0]}{last}", f"{first}{last}{self.digits(2)}"])
        email = re.sub(r"[^a-z0-9.]", "", plain(local).lower()) + "@" + self.fk[loc].free_email_domain()
        kinds = self.rng.sample(REF_KINDS, self.pick([1, 2]))
        refs = tuple(f"{prefix}-{self.digits(n, alphabet)}" for prefix, _, n, alphabet in kinds)
        phone = f"+{cc} {' '.join(split_by(nsn, groups))}"
        self.customer = {"name": f"{first} {last}", "email": email, "phone": phone, "refs": refs}
        self.cust = (loc, first, last, nsn)

    # The customer's own data, in the forms people type it.
    def s_cname(self, part: str = "full"):
        first, last = self.cust[1:3]
        name = {"full": f"{first} {last}", "first": first, "last": last}[part]
        extra = {"full": f"{last}, {first}", "last": last.upper()}.get(part)
        forms = [name, name, name.lower(), plain(name), extra]
        return [("customer_name", self.pick([form for form in forms if form]))]

    def s_ctitle(self):
        return [(None, self.title(self.male))]

    def s_cemail(self):
        email = self.customer["email"]
        local, domain = email.split("@")
        return [("customer_email", self.pick([email, email.upper(), f"{local.title()}@{domain}"]))]

    def s_cphone(self):
        (loc, *_, nsn), sep = self.cust, self.pick([" ", "-", ".", ""])
        cc, trunk, _, _ = PLANS[loc]
        if loc == "en_US":
            a, b, c = split_by(nsn, "334")
            forms = [f"({a}) {b}-{c}", f"{a}{sep}{b}{sep}{c}", f"+1 {a} {b} {c}", f"1-{a}-{b}-{c}"]
            forms.append(f"+1{nsn}")
        else:
            grouped = self.grouped(nsn, sep)
            forms = [self.grouped(trunk + nsn, sep), f"+{cc} {grouped}", f"+{cc}{nsn}", f"00{cc} {grouped}"]
            forms.append(f"+{cc} (0){grouped}" if trunk else f"+{cc} {self.grouped(nsn, sep)}")
        return [("customer_phone", self.pick(forms))]

    def s_cref(self):
        ref = self.pick(self.customer["refs"])
        prefix, body = ref.split("-")
        word = next(w for p, w, _, _ in REF_KINDS if p == prefix)
        forms = [ref, ref.lower(), f"{prefix} {body}", (prefix + body).lower(), None]
        if form := self.pick(forms):
            return [("customer_ref", form)]
        return [(None, self.pick([f"{word} #", f"{word} ", "#", f"{word} no. "])), ("customer_ref", body)]

    # Third-party data, which the redactor is not told about.
    def title(self, male: bool) -> str:
        return self.pick(["", "", "Dr ", "Dr. "] + (["Mr ", "Mr. "] if male else ["Mrs ", "Ms ", "Mrs. "]))

    def s_name(self, male: bool | None = None):
        male = self.rng.random() < 0.5 if male is None else male
        first, last = self.person(self.pick(LOCALES), male)
        return [("name", self.pick([f"{first} {last}"] * 4 + [first, last]))]

    def s_tname(self):  # with a title, sometimes
        male = self.rng.random() < 0.5
        first, last = self.person(self.pick(LOCALES), male)
        title = self.title(male)
        return [(None, title), ("name", self.pick([f"{first} {last}", last]) if title else f"{first} {last}")]

    def s_email(self):
        fk = self.fk[self.pick(LOCALES)]
        return [("email", self.pick([fk.free_email(), fk.company_email(), fk.email(safe=False)]))]

    def s_phone(self):
        return [("phone", self.fk[self.pick(LOCALES)].phone_number())]

    def s_address(self):
        text = self.fk[self.pick(LOCALES[:6])].address()
        return [("address", re.sub(r"\s*\n\s*", ", ", text.strip()).replace("  ", " "))]

    def s_card(self):
        number = self.fk["en_US"].credit_card_number()
        grouped = [sep.join(chunks(number, 4)) for sep in " -"] if len(number) % 4 != 1 else []
        return [("card", self.pick([number, number, *grouped]))]

    def s_iban(self):
        iban = self.fk[self.pick(LOCALES[1:])].iban()  # en_US has no IBAN of its own
        return [("iban", self.pick([iban, " ".join(chunks(iban, 4))]))]

    def s_nid(self):
        loc = self.pick(list(NID))
        label, method = NID[loc]
        value = self.nino() if method == "nino" else getattr(self.fk[loc], method)()
        return [(None, f"{label} "), ("national_id", value)]

    def nino(self) -> str:
        """A UK National Insurance number of a valid form (Faker's en_GB ssn uses the unissued ZZ)."""
        prefix = "ZZ"
        while prefix in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            prefix = self.pick("ABCEGHJKLMNOPRSTWXYZ") + self.pick("ABCEGHJKLMNPRSTWXYZ")
        number, suffix = self.digits(6), self.pick("ABCD")
        return self.pick([f"{prefix}{number}{suffix}", f"{prefix} {' '.join(chunks(number, 2))} {suffix}"])

    def s_dob(self):
        d = self.fk[self.pick(LOCALES)].date_of_birth(minimum_age=18, maximum_age=90)
        forms = [f"{d:%Y-%m-%d}", f"{d:%d/%m/%Y}", f"{d.day} {d:%B %Y}", f"{d:%B} {d.day}, {d.year}"]
        return [("dob", self.pick([*forms, f"{d:%d.%m.%Y}", f"{d:%m/%d/%Y}"]))]

    def s_ref(self):
        d = self.digits
        labelled = [("booking #", d(2) + d(4, ALNUM)), ("invoice no. ", d(5)), ("ticket ", d(6))]
        labelled += [("member number ", d(8)), ("account number ", d(8)), ("loyalty number ", f"LOY-{d(8)}")]
        labelled += [("order ", d(7)), ("order ", f"{d(4)}-{d(4)}"), ("case ", f"CS-{d(6)}")]
        label, body = self.pick(labelled)
        return [(None, label), ("reference", body)]

    def slot(self, name: str):
        if name.lower() in PRONOUNS:
            word = PRONOUNS[name.lower()][self.male]
            return [(None, word.capitalize() if name[0].isupper() else word)]
        if name in FILL:
            return [(None, self.pick(FILL[name].split("|")))]
        if name in ("cfirst", "clast"):
            return self.s_cname(name[1:])
        if name in ("mname", "fname"):  # a son, a daughter
            return self.s_name(male=name == "mname")
        return getattr(self, f"s_{name}")()

    def build(self, templates: list[str]) -> Case:
        text, items = "", []
        for template in templates:
            text += " " if text else ""
            for i, part in enumerate(re.split(r"\{(\w+)\}", template)):
                for kind, value in self.slot(part) if i % 2 else [(None, part)]:
                    if kind:
                        items.append((kind, value, len(text), len(text) + len(value)))
                    text += value
        return Case(text, items, dict(self.customer))

    def lesson(self) -> Case:
        """1-3 sentences with personal data, and in 40% of lessons one without."""
        self.new_customer()
        sentences = self.rng.sample(PII_TEMPLATES, self.rng.randint(1, 3))
        if self.rng.random() < 0.4:
            sentences.insert(self.rng.randint(0, len(sentences)), self.pick(CLEAN_TEMPLATES))
        return self.build(sentences)

    def clean(self) -> Case:
        self.new_customer()  # a lesson always comes with its case's customer, who is not named in it
        return self.build(self.rng.sample(CLEAN_TEMPLATES, self.rng.randint(1, 4)))
