"""The routing engine on its own (no database): whole-word matching, windows past midnight, and first_match always
agreeing with a plain reference implementation (property tests)."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from openpractice.frontdesk.routing import (
    MessageFacts,
    compile_rule,
    compile_rules,
    first_match,
    in_window,
    matches,
    split_words,
)

CHANNELS = ["phone", "email", "web", "internal"]
CATEGORIES = ["appointment", "billing", "records", "prescription", "other"]
VOCABULARY = ["refill", "bill", "billing", "prior auth", "x-ray", "mri", "appointment", "cancel", "c++", "Über",
              "urgent", "résumé", "fax", "records"]


def rule(**fields: Any) -> SimpleNamespace:
    values: dict[str, Any] = {
        "pk": 1, "position": 100, "is_active": True, "channels": [], "categories": [], "subject_words": "",
        "body_words": "", "sender_contains": "", "location_id": None, "provider_id": None, "hours": "any",
        "time_from": None, "time_to": None,
    }
    values.update(fields)
    return SimpleNamespace(**values)


def facts(**fields: Any) -> MessageFacts:
    values: dict[str, Any] = {"channel": "phone", "category": "other", "subject": "Hello"}
    values.update(fields)
    return MessageFacts(**values)


# --- examples ---------------------------------------------------------------------------------------------------

def test_word_lists_are_split_on_commas_lowercased_and_trimmed():
    assert split_words(" Refill,PRIOR  auth ,, x-ray ") == ["refill", "prior auth", "x-ray"]


def test_words_match_whole_words_in_any_case_and_phrases_across_spaces():
    compiled = compile_rule(rule(subject_words="refill, prior auth, x-ray"))
    assert matches(compiled, facts(subject="REFILL!"))
    assert matches(compiled, facts(subject="re: prior\tauth"))
    assert matches(compiled, facts(subject="my x-ray results"))
    assert not matches(compiled, facts(subject="refills"))
    assert not matches(compiled, facts(subject="priorauth"))
    assert not matches(compiled, facts(subject="xx-ray"))


def test_body_words_look_at_the_subject_and_the_text_subject_words_only_at_the_subject():
    body_rule = compile_rule(rule(body_words="invoice"))
    subject_rule = compile_rule(rule(subject_words="invoice"))
    assert matches(body_rule, facts(subject="x", body="your Invoice"))
    assert matches(body_rule, facts(subject="invoice", body=""))
    assert not matches(subject_rule, facts(subject="x", body="invoice"))


def test_sender_contains_compares_addresses_as_text_and_numbers_by_digits():
    by_domain = compile_rule(rule(sender_contains="@BCBS.com"))
    by_number = compile_rule(rule(sender_contains="919 555 0142"))
    assert matches(by_domain, facts(sender="claims@bcbs.com"))
    assert not matches(by_domain, facts(sender="claims@bcbs.co"))
    assert matches(by_number, facts(sender="Pat\n(919) 555-0142"))
    # The digits of two numbers are not run together into a false match.
    assert not matches(compile_rule(rule(sender_contains="0142 919")), facts(sender="919-555-0142\n919-555-0100"))


def test_hours_conditions_follow_whether_the_location_is_open():
    closed = compile_rule(rule(hours="closed"))
    opened = compile_rule(rule(hours="open"))
    assert matches(closed, facts(location_open=False))
    assert not matches(closed, facts(location_open=True))
    assert matches(opened, facts(location_open=True))


def test_a_window_past_midnight_holds_late_evening_and_early_morning():
    night = compile_rule(rule(time_from=dt.time(18), time_to=dt.time(7)))
    assert matches(night, facts(local_time=dt.time(23, 59)))
    assert matches(night, facts(local_time=dt.time(0, 0)))
    assert not matches(night, facts(local_time=dt.time(7, 0)))
    assert not matches(night, facts(local_time=dt.time(12, 0)))
    assert matches(night, facts(local_time=dt.time(18, 0)))


def test_rules_are_tried_by_position_then_id_and_inactive_ones_are_left_out():
    rules = [rule(pk=3, position=10), rule(pk=2, position=10), rule(pk=1, position=20),
             rule(pk=4, position=1, is_active=False)]
    assert [compiled.rule_id for compiled in compile_rules(rules)] == [2, 3, 1]
    assert first_match(facts(), compile_rules(rules)).rule_id == 2


def test_an_unsaved_rule_goes_after_the_saved_rules_at_its_position():
    rules = [rule(pk=None, position=10), rule(pk=7, position=10), rule(pk=8, position=11)]
    assert [compiled.rule_id for compiled in compile_rules(rules)] == [7, None, 8]


def test_no_rule_matching_gives_none():
    assert first_match(facts(channel="email"), compile_rules([rule(channels=["phone"])])) is None


# --- properties -------------------------------------------------------------------------------------------------

times = st.times().map(lambda t: t.replace(microsecond=0))
word_lists = st.lists(st.sampled_from(VOCABULARY), max_size=3).map(", ".join)
texts = st.lists(st.one_of(st.sampled_from(VOCABULARY), st.text(alphabet="abcxyz -.,!\n", max_size=8)),
                 max_size=8).map(" ".join)
senders = st.sampled_from(["", "claims@bcbs.com", "Pat Doe\n919-555-0142", "x@y.org\n(212) 555 0100"])

rules_strategy = st.builds(
    rule,
    pk=st.integers(1, 50),
    position=st.integers(0, 5),
    is_active=st.booleans(),
    channels=st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True),
    categories=st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True),
    subject_words=word_lists,
    body_words=word_lists,
    sender_contains=st.sampled_from(["", "@bcbs.com", "555-0142", "pat", "212"]),
    location_id=st.sampled_from([None, 1, 2]),
    provider_id=st.sampled_from([None, 7, 8]),
    hours=st.sampled_from(["any", "open", "closed"]),
    time_from=st.one_of(st.none(), times),
    time_to=times,
).map(lambda r: rule(**{**vars(r), "time_to": r.time_to if r.time_from is not None else None}))

facts_strategy = st.builds(
    MessageFacts,
    channel=st.sampled_from(CHANNELS),
    category=st.sampled_from(CATEGORIES),
    subject=texts,
    body=texts,
    sender=senders,
    location_id=st.sampled_from([None, 1, 2]),
    provider_id=st.sampled_from([None, 7, 8]),
    local_time=times,
    location_open=st.booleans(),
)


def _reference_words(words: str, text: str) -> bool:
    for word in split_words(words):
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(piece) for piece in word.split()) + r"(?!\w)"
        if re.search(pattern, text.lower()):
            return True
    return False


def _reference_holds(r: Any, f: MessageFacts) -> bool:
    """Each condition written out the plain way."""
    if r.channels and f.channel not in r.channels:
        return False
    if r.categories and f.category not in r.categories:
        return False
    if r.location_id is not None and f.location_id != r.location_id:
        return False
    if r.provider_id is not None and f.provider_id != r.provider_id:
        return False
    if (r.hours == "open" and not f.location_open) or (r.hours == "closed" and f.location_open):
        return False
    if r.time_from is not None:
        start, end, now = r.time_from, r.time_to, f.local_time
        inside = True if start == end else (start <= now < end if start < end else (now >= start or now < end))
        if not inside:
            return False
    if r.sender_contains:
        needle = r.sender_contains.lower()
        if re.search(r"[a-z@]", needle):
            if needle not in f.sender.lower():
                return False
        else:
            digits = re.sub(r"\D", "", needle)
            if not any(digits in re.sub(r"\D", "", line) for line in f.sender.splitlines()):
                return False
    if r.subject_words and not _reference_words(r.subject_words, f.subject):
        return False
    return not r.body_words or _reference_words(r.body_words, f.subject + "\n" + f.body)


def _reference_first_match(rules: list[Any], f: MessageFacts) -> Any:
    for r in sorted((r for r in rules if r.is_active), key=lambda r: (r.position, r.pk)):
        if _reference_holds(r, f):
            return r
    return None


@settings(max_examples=400, deadline=None)
@given(rules=st.lists(rules_strategy, max_size=12, unique_by=lambda r: r.pk), message=facts_strategy)
def test_first_match_agrees_with_the_plain_reference(rules, message):
    found = first_match(message, compile_rules(rules))
    expected = _reference_first_match(rules, message)
    assert (found.rule if found else None) is expected


@given(message=facts_strategy)
def test_a_rule_without_conditions_matches_every_message(message):
    assert first_match(message, compile_rules([rule()])) is not None


@given(moment=times, start=times, end=times)
def test_a_window_and_its_complement_cover_the_day_exactly_once(moment, start, end):
    if start != end:
        assert in_window(moment, start, end) != in_window(moment, end, start)


@given(words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=4), text=texts)
def test_the_fast_word_lookup_agrees_with_the_lists_alternation_regex(words, text):
    compiled = compile_rule(rule(body_words=", ".join(words)))
    assert compiled.body_words is not None
    lowered = "x\n" + text.lower()
    assert matches(compiled, facts(subject="x", body=text)) == bool(compiled.body_words.pattern.search(lowered))
