"""Deposition transcripts that hang together with their session.

The speakers are the people of the session request: the court reporter, the deponent (or witness) and
the counsel invited (named from their invite emails). Its length follows the session's duration at
about the pace of speech (:data:`CHARS_PER_MINUTE`), and the times the reporter reads out follow the
session's start in its own time zone. Built on request from the session's seeded stream, drawing
plain ``random`` choices from small phrase tables, so a four-hour transcript (~200 KB) takes
milliseconds and the same seed gives the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from simulator.core.rand import SeededSource
from simulator.vendors.prevail import timezones

CHARS_PER_MINUTE = 850  # ~150 spoken words a minute
MAX_COUNSEL = 4
_GENERIC_MAIL = frozenset(("gmail", "yahoo", "outlook", "hotmail", "icloud", "aol", "proton", "protonmail",
                           "example", "mail", "live", "msn"))
_WORD = re.compile(r"[A-Za-z]+")

THINGS = ("contract", "invoice", "shipment", "inspection report", "purchase order", "warranty claim", "memo",
          "safety policy", "email", "service agreement", "budget", "work order", "incident report")
EVENTS = ("meeting", "site visit", "phone call", "inspection", "board meeting", "closing", "audit",
          "delivery", "training session")
PLACES = ("office", "warehouse", "job site", "conference room", "plant", "branch", "loading dock")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
QUESTIONS = (
    "Can you tell us what happened at the {event} in {month}?",
    "Did you ever discuss the {thing} with {person}?",
    "Where were you when you first learned about the {thing}?",
    "How long did you work at {company}?",
    "Who else was present at the {event}?",
    "What did you do after the {event}?",
    "Do you recall signing the {thing}?",
    "When did you first see the {thing}?",
    "And what happened next?",
    "What was your role at {company} at that time?",
    "Did {person} say anything to you about the {thing}?",
    "Was anyone from {company} at the {place} that day?",
    "Is it fair to say you were responsible for the {thing}?",
    "How many times did you go to the {place} in {month}?",
    "Did you keep any notes of the {event}?",
)
ANSWERS = (
    "Yes.", "No.", "I don't recall.", "That's correct.", "Not that I remember.", "I believe so.",
    "I believe it was in {month}.",
    "Yes, I spoke with {person} about the {thing}.",
    "I was at the {place} at that time.",
    "{person} was there, and I think someone else from {company} as well.",
    "I'd have to look at the {thing} to be sure.",
    "It was a short {event}, maybe twenty minutes.",
    "I first saw it when {person} sent it to me, sometime in {month}.",
    "I handled the {thing} until the end of {month}, then {person} took it over.",
    "We talked about it at the {event}, but nothing was decided.",
)
OBJECTIONS = ("Objection. Form.", "Objection, calls for speculation.", "Objection, asked and answered.",
              "Objection, vague.", "Objection. Foundation.")


@dataclass(frozen=True)
class Cast:
    reporter: str
    witness: str
    counsel: tuple[str, ...]


def name_from_email(email: str) -> str | None:
    """``jane.doe@firm.com`` -> ``JANE DOE``; ``jane@doe.com`` -> ``JANE DOE``; None when no name shows."""
    local, _, domain = email.partition("@")
    words = _WORD.findall(local)[:3]
    label = domain.split(".")[0].lower()
    if len(words) == 1 and label.isalpha() and label not in _GENERIC_MAIL:
        words.append(label)
    return " ".join(words).upper()[:80] or None


def cast_of(source: SeededSource, deponent: dict[str, object] | None, invite_emails: list[str]) -> Cast:
    """The reporter (a seeded name), the deponent, and counsel from the invitees other than the deponent."""
    fake = source.fake
    reporter = f"{fake.first_name()} {fake.last_name()}".upper()
    name = deponent.get("name") if deponent else None
    witness = str(name).strip().upper()[:80] if isinstance(name, str) and name.strip() else "THE WITNESS"
    deponent_email = str(deponent.get("email", "")).lower() if deponent else ""
    counsel: list[str] = []
    for email in invite_emails:
        found = name_from_email(email) if email.lower() != deponent_email else None
        if found and found not in counsel and found not in (witness, reporter):
            counsel.append(found)
    if not counsel:  # nobody invited: the examining attorney still asks the questions
        counsel.append(f"{fake.first_name()} {fake.last_name()}".upper())
    return Cast(reporter, witness, tuple(counsel[:MAX_COUNSEL]))


def transcript(source: SeededSource, cast: Cast, title: str, starts_at: float, minutes: float,
               time_zone: str) -> str:
    """``NAME: text`` turns separated by blank lines, about ``minutes`` of speech long."""
    zone = timezones.resolve(time_zone) or UTC
    rng = source.random
    fake = source.fake
    people = [f"{fake.first_name()} {fake.last_name()}" for _ in range(4)]
    company = fake.company()
    target = int(minutes * CHARS_PER_MINUTE)

    def clock(chars: int) -> str:
        moment = datetime.fromtimestamp(starts_at + chars / CHARS_PER_MINUTE * 60, tz=UTC).astimezone(zone)
        return moment.strftime("%I:%M %p").lstrip("0")

    def fill(template: str) -> str:
        return template.format(event=rng.choice(EVENTS), month=rng.choice(MONTHS), thing=rng.choice(THINGS),
                               person=rng.choice(people), company=company, place=rng.choice(PLACES))

    examining, others = cast.counsel[0], cast.counsel[1:]
    turns = [f"{cast.reporter}: We are now on the record. The time is {clock(0)}. This is the deposition of "
             f"{cast.witness.title()} in the matter of {title}."]
    turns += [f"{lawyer}: {lawyer.title()}, appearing on behalf of the "
              f"{'plaintiff' if index % 2 == 0 else 'defendant'}." for index, lawyer in enumerate(cast.counsel)]
    turns += [f"{cast.reporter}: Please raise your right hand. Do you swear to tell the truth?",
              f"{cast.witness}: I do."]
    size = sum(len(turn) + 2 for turn in turns)
    exhibit, since_break, paused = 1, 0, 0  # paused: the breaks' minutes, counted in characters
    closing_room = 200
    while size + paused < target - closing_room:
        block: list[str] = []
        roll = rng.random()
        if others and roll < 0.08:
            block.append(f"{rng.choice(others)}: {rng.choice(OBJECTIONS)}")
        if roll > 0.97:
            block.append(f"{examining}: I'm handing you what has been marked as Exhibit {exhibit}. "
                         f"Do you recognize this document?")
            block.append(f"{cast.witness}: {fill(rng.choice(ANSWERS))}")
            exhibit += 1
        else:
            block.append(f"{examining}: {fill(rng.choice(QUESTIONS))}")
            block.append(f"{cast.witness}: {fill(rng.choice(ANSWERS))}")
        grown = sum(len(turn) + 2 for turn in block)
        since_break += grown
        if since_break > 60 * CHARS_PER_MINUTE:  # a ten-minute break about every hour
            block.append(f"{cast.reporter}: We are going off the record. The time is {clock(size + paused + grown)}.")
            paused += 10 * CHARS_PER_MINUTE
            block.append(f"{cast.reporter}: We are back on the record. The time is {clock(size + paused + grown)}.")
            since_break = 0
            grown = sum(len(turn) + 2 for turn in block)
        if others and rng.random() < 0.02:  # examination passes to the next counsel
            examining, others = others[0], (*others[1:], examining)
        turns += block
        size += grown
    turns.append(f"{cast.reporter}: This concludes the deposition. We are now off the record. "
                 f"The time is {clock(max(target, size + paused))}.")
    return "\n\n".join(turns)
