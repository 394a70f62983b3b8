"""The fictional people, places and identifiers of one case, and how notes refer to them.

A :class:`Family` is drawn once per case (so the same child has the same name, NHS number and
address in every note of the case) and renders each template slot as a :class:`Piece` with its gold
PII span. The same person is written many ways — "Mum", "mum", "Ms Okafor", "Sharon", "sharon",
"Shaz" — as practitioners do. Titles and a trailing possessive stay outside a name's span; for
identifiers only the value is marked, never its label ("NHS no. {value}").

A note can be written *anonymously* (no PII at all): people become role words and identifiers
generic phrases, so a corpus also holds notes a de-identifier must leave untouched.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from casenotes.records import PiiLabel, RiskLabel, Subject
from casenotes.synth import fake_pii as fake
from casenotes.synth.grammar import Piece, Span

if TYPE_CHECKING:
    from casenotes.synth.generator import Case

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LEGISLATION = (
    "Section 47",
    "s47",
    "Section 17",
    "s17",
    "the Children Act 1989",
    "Section 20",
    "the PLO",
    "Working Together 2023",
    "Section 47 of the Children Act 1989",
)
CONDITIONS = (
    "if the current situation continues",
    "without support",
    "if nothing changes",
    "if the plan breaks down",
    "if engagement does not improve",
    "should things deteriorate",
    "over the coming months",
    "if the family does not engage",
    "if support is withdrawn",
)
BENIGN_NEGATIONS = (
    "No concerns about school attendance",
    "No issues with the baby's weight",
    "No concerns were raised about the children's presentation",
    "There were no problems with contact",
    "No worries about speech and language",
    "The children had no injuries",
    "Nothing of note about the home",
)
PAST_PLAIN = (
    "previously",
    "some years ago",
    "last year",
    "when the case was last open",
    "at the time of the last assessment",
    "in the past",
    "a while ago",
)
PAST_ADULT = (  # only about parents and other adults
    "as a teenager",
    "in {poss} early twenties",
    "during a previous relationship",
    "before the children were born",
)
GENERIC_REPORTERS = (
    "the school",
    "School",
    "the DSL",
    "Police",
    "the police",
    "the HV",
    "the GP",
    "a neighbour",
    "Nan",
    "the midwife",
    "an anonymous caller",
    "the housing officer",
    "YOT",
    "the school nurse",
    "Children's Services",
    "the Family Hub",
)
ANONYMOUS = {
    "child": ("the child", "YP", "the young person"),
    "child_full": ("the child", "YP"),
    "sibling": ("the younger sibling", "the baby", "big sister", "little brother"),
    "mum": ("Mum", "mum", "Mother"),
    "dad": ("Dad", "dad", "Father"),
    "partner": ("Mum's partner", "her partner", "Stepdad"),
    "nan": ("Nan", "maternal grandmother", "Grandma"),
    "worker": ("the SW", "a colleague", "the duty worker"),
    "address": ("the family home", "the home address"),
    "postcode": ("the local area",),
    "phone": ("the number on file",),
    "gp_phone": ("the surgery",),
    "email": ("the address on file",),
    "nhs": ("on file",),
    "nino": ("on file",),
    "upn": ("on file",),
    "case_ref": ("on file",),
    "police_ref": ("on file",),
    "school": ("school", "the school"),
    "gp": ("the GP", "the GP surgery"),
    "org": ("the Family Hub", "the office", "the contact centre"),
    "location": ("the park", "the shops", "the precinct"),
    "town": ("the area",),
    "town2": ("another area",),
    "handle": ("social media",),
    "vrm": ("a car",),
    "dob": ("on file",),
    "age": ("school age",),
    "date": ("this week", "recently"),
    "year": ("the past",),
}


@dataclass(slots=True)
class Person:
    """A fictional person; ``role`` words ("Mum") are how notes name them without PII."""

    first: str
    surname: str
    sex: str
    roles: tuple[str, ...]
    title: str
    nickname: str | None = None

    @property
    def pronoun(self) -> str:
        return "she" if self.sex == "female" else "he"

    @property
    def possessive_pronoun(self) -> str:
        return "her" if self.sex == "female" else "his"


# Heritage of a family's names given the child's ethnicity (ONS five groups); mixed families draw
# each person's names separately. Professionals and friends are drawn from the whole population.
HERITAGE_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "White": {"white_british": 0.8, "eastern_european": 0.12, "irish": 0.08},
    "Mixed": {"white_british": 0.5, "black": 0.3, "south_asian": 0.1, "east_asian": 0.1},
    "Asian": {"south_asian": 0.85, "east_asian": 0.15},
    "Black": {"black": 1.0},
    "Other": {"arabic": 0.6, "east_asian": 0.2, "eastern_european": 0.2},
}


def _heritage_for(rng: random.Random, ethnicity: str | None) -> str | None:
    if ethnicity is None:
        return None
    weights = HERITAGE_BY_ETHNICITY[ethnicity]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(
    rng: random.Random,
    sex: str,
    roles: tuple[str, ...],
    surname: str | None = None,
    ethnicity: str | None = None,
) -> Person:
    first = fake.first_name(rng, sex, _heritage_for(rng, ethnicity))
    title = "Ms" if sex == "female" else "Mr"
    if sex == "female" and rng.random() < 0.3:
        title = rng.choice(("Miss", "Mrs"))
    return Person(
        first=first,
        surname=surname or fake.surname(rng, _heritage_for(rng, ethnicity)),
        sex=sex,
        roles=roles,
        title=title,
        nickname=fake.nickname(first, rng),
    )


@dataclass(slots=True)
class Family:
    """Everyone and everything a case's notes can name, plus per-note rendering state."""

    rng: random.Random
    child: Person
    siblings: list[Person]
    mum: Person
    dad: Person
    partner: Person
    nan: Person
    friends: list[Person]
    workers: list[Person]
    dob: dt.date
    values: dict[str, str]
    day: dt.date = dt.date(2020, 1, 1)
    anonymous: bool = False
    lowercase_rate: float = 0.05
    subject_kind: Subject | None = None
    subject_possessive: str = "their"
    _fixed: dict[str, Piece] = field(default_factory=dict)

    def begin_note(self, day: dt.date, anonymous: bool, lowercase_rate: float) -> None:
        self.day = day
        self.anonymous = anonymous
        self.lowercase_rate = lowercase_rate

    # --------------------------------------------------------------- people
    def _name(self, person: Person, full: bool = False) -> Piece:
        rng = self.rng
        if full:
            text = f"{person.first} {person.surname}"
            if rng.random() < 0.15:
                text = f"{person.surname.upper()}, {person.first}"
        elif person.nickname and rng.random() < 0.2:
            text = person.nickname
        else:
            text = person.first
        if rng.random() < self.lowercase_rate:
            text = text.lower()
        return Piece.whole(text, "pii", PiiLabel.PERSON)

    def _titled(self, person: Person) -> Piece:
        surname = Piece.whole(person.surname, "pii", PiiLabel.PERSON)
        return _concat(Piece.plain(person.title + " "), surname)

    def person_ref(self, person: Person, named_rate: float = 0.5) -> Piece:
        """How a note refers to a person: a role word, a first name, a title and surname, ..."""
        rng = self.rng
        if self.anonymous or rng.random() >= named_rate:
            return Piece.plain(rng.choice(person.roles))
        kind = rng.random()
        if kind < 0.6 or person is self.child or person in self.siblings:  # no titles for children
            return self._name(person)
        if kind < 0.8:
            return self._titled(person)
        if kind < 0.9:
            return self._name(person, full=True)
        role = rng.choice(person.roles)
        return _concat(Piece.plain(f"{role} ("), self._name(person), Piece.plain(")"))

    def subject(self, kind: Subject, label: RiskLabel) -> tuple[Piece, Piece, str]:
        """(subject phrase, its possessive, pronoun) for a mention about ``kind``."""
        rng = self.rng
        self.subject_kind = kind
        if kind is Subject.PARENT:
            person = rng.choices(
                (self.mum, self.partner, self.dad, self.nan), weights=(0.5, 0.22, 0.18, 0.1)
            )[0]
            named = 0.35
        elif kind is Subject.CHILD:
            person = self.child if rng.random() < 0.85 or not self.siblings else self.siblings[0]
            named = 0.7
        else:
            return self._other_subject()
        nominative = self.person_ref(person, named)
        self.subject_possessive = person.possessive_pronoun
        return nominative, _possessive(nominative), person.pronoun

    def _other_subject(self) -> tuple[Piece, Piece, str]:
        rng = self.rng
        friend = rng.choice(self.friends)
        choice = rng.random()
        if choice < 0.45 or self.anonymous:
            text, pronoun = rng.choice(
                (
                    ("a neighbour", "she"),
                    ("the neighbour", "he"),
                    ("a family friend", "he"),
                    ("an older peer", "he"),
                    ("a friend's mum", "she"),
                    ("the man upstairs", "he"),
                    ("a lodger next door", "he"),
                    ("his friend", "he"),
                    ("her friend", "she"),
                )
            )
            piece = Piece.plain(text)
        elif choice < 0.75:
            piece = _concat(Piece.plain("a friend, "), self._name(friend))
            pronoun = friend.pronoun
        else:
            piece = _concat(self._name(self.child), Piece.plain("'s friend "), self._name(friend))
            pronoun = friend.pronoun
        return piece, _possessive(piece), pronoun

    # --------------------------------------------------------------- slots
    def resolve(self, slot: str) -> Piece:
        """Render a template slot. Unknown slots are a bug in the grammar files."""
        rng = self.rng
        if slot in ("his", "he"):
            return Piece.plain(
                self.child.possessive_pronoun if slot == "his" else self.child.pronoun
            )
        if slot == "weekday":
            return Piece.plain(rng.choice(WEEKDAYS))
        if slot == "time":
            return Piece.plain(_clock_time(rng))
        if slot == "law":
            return Piece.plain(rng.choice(LEGISLATION))
        if slot in ("COND", "COND_CAP"):
            text = rng.choice(CONDITIONS)
            return Piece.plain(text[0].upper() + text[1:] if slot == "COND_CAP" else text)
        if slot == "BENIGN_NEG":
            return Piece.plain(rng.choice(BENIGN_NEGATIONS))
        if slot in ("PAST", "PAST_CAP"):
            piece = self._past()
            return piece.capitalised() if slot == "PAST_CAP" else piece
        if slot in ("REPORTER", "referrer"):
            return self._reporter()
        if self.anonymous and slot in ANONYMOUS:
            return Piece.plain(rng.choice(ANONYMOUS[slot]))
        method = getattr(self, f"_slot_{slot}", None)
        if method is None:
            raise KeyError(f"unknown template slot {{{slot}}}")
        return method()

    def _past(self) -> Piece:
        rng = self.rng
        if self.anonymous or rng.random() < 0.55:
            adult = self.subject_kind is Subject.PARENT and rng.random() < 0.4
            phrase = rng.choice(PAST_ADULT if adult else PAST_PLAIN)
            return Piece.plain(phrase.format(poss=self.subject_possessive))
        if rng.random() < 0.5:
            return _concat(Piece.plain("in "), self._slot_year())
        when = self.day - dt.timedelta(days=rng.randint(200, 2500))
        return _concat(
            Piece.plain("in "),
            Piece.whole(when.strftime(rng.choice(("%B %Y", "%b %Y", "%m/%Y"))), "pii", "DATE"),
        )

    def _reporter(self) -> Piece:
        rng = self.rng
        choice = rng.random()
        if self.anonymous or choice < 0.6:
            return Piece.plain(rng.choice(GENERIC_REPORTERS))
        if choice < 0.75:
            return self._slot_school()
        if choice < 0.85:
            return _concat(Piece.plain("DSL "), self._name(rng.choice(self.workers), full=True))
        if choice < 0.93:
            return self.person_ref(self.nan, 0.6)
        return self.person_ref(self.mum, 0.6)

    def _slot_child(self) -> Piece:
        return self.person_ref(self.child, 0.8)

    def _slot_child_full(self) -> Piece:
        return self._name(self.child, full=True)

    def _slot_sibling(self) -> Piece:
        if not self.siblings:
            return Piece.plain(self.rng.choice(("the baby", "a cousin")))
        return self.person_ref(self.rng.choice(self.siblings), 0.8)

    def _slot_mum(self) -> Piece:
        return self.person_ref(self.mum)

    def _slot_dad(self) -> Piece:
        return self.person_ref(self.dad)

    def _slot_partner(self) -> Piece:
        return self.person_ref(self.partner)

    def _slot_nan(self) -> Piece:
        return self.person_ref(self.nan, 0.3)

    def _slot_worker(self) -> Piece:
        return self._name(self.rng.choice(self.workers), full=self.rng.random() < 0.7)

    def _fixed_value(self, slot: str, make) -> Piece:
        """Identifiers that stay the same across a case's notes (formatting may still vary)."""
        if slot not in self._fixed:
            self._fixed[slot] = make()
        return self._fixed[slot]

    def _slot_dob(self) -> Piece:
        return Piece.whole(fake.format_date(self.dob, self.rng), "pii", PiiLabel.DATE_OF_BIRTH)

    def _slot_age(self) -> Piece:
        age = min(17, (self.day - self.dob).days // 365)
        return _fragment(fake.age_phrase(max(age, 0), self.rng))

    def _slot_date(self) -> Piece:
        when = self.day + dt.timedelta(days=self.rng.randint(-30, 30))
        return Piece.whole(fake.format_date(when, self.rng), "pii", PiiLabel.DATE)

    def _slot_year(self) -> Piece:
        year = self.day.year - self.rng.randint(1, 8)
        return Piece.whole(str(year), "pii", PiiLabel.DATE)

    def _slot_address(self) -> Piece:
        return self._fixed_value(
            "address", lambda: _fragment(fake.address(self.rng, with_postcode=False))
        )

    def _slot_postcode(self) -> Piece:
        return self._fixed_value(
            "postcode",
            lambda: Piece.whole(
                fake.postcode(self.rng, self.values["town"]), "pii", PiiLabel.POSTCODE
            ),
        )

    def _slot_phone(self) -> Piece:
        return Piece.whole(self.values["phone"], "pii", PiiLabel.PHONE_NUMBER)

    def _slot_gp_phone(self) -> Piece:
        return Piece.whole(fake.phone_number(self.rng, mobile=False), "pii", PiiLabel.PHONE_NUMBER)

    def _slot_email(self) -> Piece:
        return Piece.whole(self.values["email"], "pii", PiiLabel.EMAIL_ADDRESS)

    def _slot_nhs(self) -> Piece:
        return Piece.whole(fake.format_nhs(self.values["nhs"], self.rng), "pii", PiiLabel.UK_NHS)

    def _slot_nino(self) -> Piece:
        return Piece.whole(fake.format_nino(self.values["nino"], self.rng), "pii", PiiLabel.UK_NINO)

    def _slot_upn(self) -> Piece:
        return Piece.whole(self.values["upn"], "pii", PiiLabel.UK_UPN)

    def _slot_case_ref(self) -> Piece:
        return Piece.whole(self.values["case_ref"], "pii", PiiLabel.CASE_REFERENCE)

    def _slot_police_ref(self) -> Piece:
        reference = fake.police_reference(self.rng, self.day)
        return Piece.whole(reference, "pii", PiiLabel.CASE_REFERENCE)

    def _slot_school(self) -> Piece:
        return Piece.whole(self.values["school"], "pii", PiiLabel.ORGANIZATION)

    def _slot_gp(self) -> Piece:
        return self._fixed_value(
            "gp", lambda: _fragment(fake.gp_surgery(self.rng, self.values["town"]))
        )

    def _slot_org(self) -> Piece:
        return Piece.whole(
            fake.service_venue(self.rng, self.values["town"]), "pii", PiiLabel.ORGANIZATION
        )

    def _slot_location(self) -> Piece:
        return _fragment(fake.location(self.rng, self.values["town"]))

    def _slot_town(self) -> Piece:
        return Piece.whole(self.values["town"], "pii", PiiLabel.LOCATION)

    def _slot_town2(self) -> Piece:
        return Piece.whole(fake.town(self.rng), "pii", PiiLabel.LOCATION)

    def _slot_handle(self) -> Piece:
        return _fragment(fake.username_mention(self.rng, self.child.first))

    def _slot_vrm(self) -> Piece:
        return Piece.whole(self.values["vrm"], "pii", PiiLabel.VEHICLE_REGISTRATION)


def _clock_time(rng: random.Random) -> str:
    """A time of day as practitioners write it (not personal data)."""
    hour, minute = rng.randint(8, 21), rng.choice((0, 0, 15, 30, 45, 10, 50))
    if rng.random() < 0.5:
        return f"{hour:02d}:{minute:02d}"
    suffix = "am" if hour < 12 else "pm"
    hour12 = hour - 12 if hour > 12 else hour
    return f"{hour12}{suffix}" if minute == 0 else f"{hour12}.{minute:02d}{suffix}"


def _concat(*pieces: Piece) -> Piece:
    spans: list[Span] = []
    offset = 0
    for piece in pieces:
        spans.extend(span.shifted(offset) for span in piece.spans)
        offset += len(piece.text)
    return Piece("".join(piece.text for piece in pieces), tuple(spans))


def _possessive(piece: Piece) -> Piece:
    """ "Mum" -> "Mum's"; the possessive stays outside any name span."""
    suffix = "'" if piece.text.endswith("s") and piece.spans else "'s"
    return _concat(piece, Piece.plain(suffix))


def _fragment(value: object) -> Piece:
    """Adapt a :mod:`fake_pii` result (plain ``Piece`` or its ``Fragment``) to a ``Piece``."""
    if isinstance(value, Piece):
        return value
    spans = tuple(
        Span(start, end, "pii", PiiLabel(label).value) for start, end, label in value.spans
    )
    return Piece(value.text, spans)


def make_family(case: Case, rng: random.Random) -> Family:
    """Draw the people, places and identifiers of a case."""
    ethnicity = case.ethnicity
    family_name = fake.surname(rng, _heritage_for(rng, ethnicity))
    child = _person(rng, case.sex, ("YP", "the child", "the young person"), family_name, ethnicity)
    if case.age_at_start < 10:
        child.roles = ("the child", "the little one")
    siblings = [
        _person(rng, rng.choice(("female", "male")), ("the sibling",), family_name, ethnicity)
        for _ in range(rng.choice((0, 1, 1, 2, 3)))
    ]
    mum = _person(rng, "female", ("Mum", "mum", "Mother", "M"), family_name, ethnicity)
    dad = _person(rng, "male", ("Dad", "dad", "Father", "birth father"), None, ethnicity)
    partner = _person(rng, "male", ("Mum's partner", "mum's partner", "her partner", "Stepdad"))
    nan = _person(
        rng, "female", ("Nan", "maternal grandmother", "Nanna", "Grandma"), None, ethnicity
    )
    friends = [_person(rng, rng.choice(("female", "male")), ("a friend",)) for _ in range(2)]
    workers = [_person(rng, rng.choice(("female", "male")), ("SW",)) for _ in range(3)]
    born = case.note_dates[0] - dt.timedelta(days=case.age_at_start * 365 + rng.randrange(365))
    town = fake.town(rng)
    values = {
        "town": town,
        "phone": fake.phone_number(rng, mobile=rng.random() < 0.8),
        "email": fake.email_address(rng, mum.first, mum.surname),
        "nhs": fake.nhs_number(rng),
        "nino": fake.nino(rng),
        "upn": fake.upn(rng),
        "case_ref": fake.case_reference(rng),
        "school": fake.school(rng, town, case.age_at_start),
        "vrm": fake.vehicle_registration(rng),
    }
    return Family(rng, child, siblings, mum, dad, partner, nan, friends, workers, born, values)
