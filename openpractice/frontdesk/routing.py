"""The routing engine: which rule decides a message. Pure functions over plain values, no database.

A rule's conditions all must hold (an empty condition holds for everything):
- channels / categories: the message's is one of those listed;
- subject words: one of the comma-separated words or phrases appears in the subject, as a whole word,
  case-insensitively; body words: the same over the subject and the text;
- sender contains: part of the sender's address, name or number (numbers compare by their digits);
- location / provider: the message's location, the provider of the linked patient's next (or last) visit;
- hours: while the location is open or out of hours; a time window in local time (it may pass midnight).

`compile_rules` turns saved rules into `CompiledRule`s once (word lists become a compiled alternation regex and,
for the plain single words, a set looked up against the message's words) and `first_match` tries them in order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\D")
HOURS_ANY, HOURS_OPEN, HOURS_CLOSED = "any", "open", "closed"


@dataclass(frozen=True)
class MessageFacts:
    """What routing looks at. `sender` is every way the sender is named (address, name, numbers), one per line;
    `local_time` is the practice-local time the message arrived; `location_open` whether its location (or, for a
    practice-wide message, any location) was open then."""

    channel: str
    category: str
    subject: str
    body: str = ""
    sender: str = ""
    location_id: int | None = None
    provider_id: int | None = None
    local_time: dt.time = dt.time(12, 0)
    location_open: bool = True


def split_words(text: str) -> list[str]:
    """The comma-separated words or phrases of a rule's word list, lowercased, inner spaces collapsed."""
    return [" ".join(part.lower().split()) for part in (text or "").split(",") if part.strip()]


def words_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """One regex matching any of the (lowercased) words or phrases as a whole word; applied to lowercased text."""
    if not words:
        return None
    alternatives = sorted({r"\s+".join(re.escape(piece) for piece in word.split()) for word in words},
                          key=lambda alt: (-len(alt), alt))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


@dataclass(frozen=True)
class WordCondition:
    """A word list ready to test: plain single words against the message's word set, the rest by regex."""

    pattern: re.Pattern[str]  # the whole list as one alternation (the reference)
    single: frozenset[str]
    phrases: re.Pattern[str] | None  # the words that are not a single \w+ run (phrases, "c++", "@bcbs.com")

    @classmethod
    def of(cls, text: str) -> WordCondition | None:
        words = split_words(text)
        pattern = words_pattern(words)
        if pattern is None:
            return None
        single = frozenset(word for word in words if _WORD.fullmatch(word))
        return cls(pattern=pattern, single=single, phrases=words_pattern([w for w in words if w not in single]))

    def holds(self, text: str, words: frozenset[str]) -> bool:
        """`text` lowercased, `words` its \\w+ runs (a whole-word match of a \\w+ word is one of those runs)."""
        if not words.isdisjoint(self.single):
            return True
        return self.phrases is not None and self.phrases.search(text) is not None


@dataclass(frozen=True)
class CompiledRule:
    rule_id: int | None
    position: int
    channels: frozenset[str]
    categories: frozenset[str]
    subject_words: WordCondition | None
    body_words: WordCondition | None
    sender_text: str  # lowercased; empty: any sender
    sender_digits: str  # set when the condition is a number: compared with the sender's digits
    location_id: int | None
    provider_id: int | None
    hours: str
    time_from: dt.time | None
    time_to: dt.time | None
    rule: Any = field(default=None, compare=False, repr=False)

    @property
    def has_conditions(self) -> bool:
        return bool(self.channels or self.categories or self.subject_words or self.body_words or self.sender_text
                    or self.location_id or self.provider_id or self.hours != HOURS_ANY or self.time_from)


def in_window(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """start <= moment < end; a window whose end is before its start passes midnight; equal ends: all day."""
    if start == end:
        return True
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _sender_condition(text: str) -> tuple[str, str]:
    text = (text or "").strip().lower()
    digits = _DIGITS.sub("", text)
    looks_like_number = bool(digits) and not re.search(r"[a-z@]", text)
    return text, digits if looks_like_number else ""


def compile_rule(rule: Any) -> CompiledRule:
    """One saved (or unsaved) RoutingRule, or any object with the same attributes."""
    sender_text, sender_digits = _sender_condition(rule.sender_contains)
    return CompiledRule(
        rule_id=rule.pk,
        position=rule.position,
        channels=frozenset(rule.channels or ()),
        categories=frozenset(rule.categories or ()),
        subject_words=WordCondition.of(rule.subject_words),
        body_words=WordCondition.of(rule.body_words),
        sender_text=sender_text,
        sender_digits=sender_digits,
        location_id=rule.location_id,
        provider_id=rule.provider_id,
        hours=rule.hours or HOURS_ANY,
        time_from=rule.time_from if rule.time_to is not None else None,
        time_to=rule.time_to if rule.time_from is not None else None,
        rule=rule,
    )


def compile_rules(rules: Iterable[Any]) -> list[CompiledRule]:
    """The active rules, in the order they are tried: (position, pk); an unsaved rule goes after saved ones at
    its position."""
    compiled = [compile_rule(rule) for rule in rules if getattr(rule, "is_active", True)]
    compiled.sort(key=lambda c: (c.position, c.rule_id is None, c.rule_id or 0))
    return compiled


@dataclass(frozen=True)
class _Prepared:
    subject: str
    subject_words: frozenset[str]
    text: str
    text_words: frozenset[str]
    sender: str
    sender_digits: str


def _prepare(facts: MessageFacts) -> _Prepared:
    subject = facts.subject.lower()
    text = subject + "\n" + facts.body.lower()
    subject_words = frozenset(_WORD.findall(subject))
    sender = facts.sender.lower()
    return _Prepared(subject=subject, subject_words=subject_words, text=text,
                     text_words=subject_words | frozenset(_WORD.findall(facts.body.lower())),
                     sender=sender, sender_digits="|".join(_DIGITS.sub("", line) for line in sender.splitlines()))


def _holds(rule: CompiledRule, facts: MessageFacts, prepared: _Prepared) -> bool:
    if rule.channels and facts.channel not in rule.channels:
        return False
    if rule.categories and facts.category not in rule.categories:
        return False
    if rule.location_id is not None and facts.location_id != rule.location_id:
        return False
    if rule.provider_id is not None and facts.provider_id != rule.provider_id:
        return False
    if rule.hours == HOURS_OPEN and not facts.location_open:
        return False
    if rule.hours == HOURS_CLOSED and facts.location_open:
        return False
    if rule.time_from is not None and rule.time_to is not None \
            and not in_window(facts.local_time, rule.time_from, rule.time_to):
        return False
    if rule.sender_digits:
        if rule.sender_digits not in prepared.sender_digits:
            return False
    elif rule.sender_text and rule.sender_text not in prepared.sender:
        return False
    if rule.subject_words is not None and not rule.subject_words.holds(prepared.subject, prepared.subject_words):
        return False
    return rule.body_words is None or rule.body_words.holds(prepared.text, prepared.text_words)


def matches(rule: CompiledRule, facts: MessageFacts) -> bool:
    return _holds(rule, facts, _prepare(facts))


def first_match(facts: MessageFacts, compiled: Sequence[CompiledRule]) -> CompiledRule | None:
    """The first rule (in the given order) whose conditions all hold, or None (the default queue)."""
    prepared = _prepare(facts)
    for rule in compiled:
        if _holds(rule, facts, prepared):
            return rule
    return None


def sender_of(*parts: str) -> str:
    """The `sender` fact from the ways a sender is named (empty parts left out)."""
    return "\n".join(part for part in parts if part)
