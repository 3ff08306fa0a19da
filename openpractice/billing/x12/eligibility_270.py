"""The 270 eligibility request (005010X279A1): "is this member covered today, and for what?"

Loops: 2000A information source (the payer, NM1*PR with its payer ID), 2000B information receiver (the
practice, NM1*1P with its group NPI), 2000C subscriber (TRN trace, NM1*IL with the member ID, DMG, DTP*291 the
date asked about, EQ*30 health benefit plan coverage) and, when the patient is not the subscriber, 2000D
dependent (the trace, name, DMG, relationship and the EQ move there).

Pure formatting: the caller (services/eligibility.py) gathers the data and the control numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .envelope import Envelope, ge, gs, iea, isa, se, st, st_control
from .segments import TERMINATOR, date8, ident, segment, text, time4

IMPLEMENTATION = "005010X279A1"
FUNCTIONAL_ID = "HS"
# 2100D INS02: the dependent's relationship to the subscriber.
RELATIONSHIP_CODES = {"spouse": "01", "child": "19", "other": "34"}
SEX_CODES = {"F": "F", "M": "M"}


@dataclass(frozen=True)
class Member:
    last_name: str
    first_name: str
    middle_name: str
    date_of_birth: dt.date | None
    sex: str  # F, M, anything else is sent as U (unknown)


@dataclass(frozen=True)
class EligibilityRequest:
    envelope: Envelope  # functional_id HS, version 005010X279A1
    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    member_id: str
    subscriber: Member
    trace_number: str
    originator_id: str  # TRN03: "9" + the practice's EIN digits (ten characters)
    service_date: dt.date
    dependent: Member | None = None
    relationship: str = ""  # spouse, child, other (when there is a dependent)
    service_type: str = "30"


def _demographics(member: Member) -> str:
    if member.date_of_birth is None:
        return ""
    return segment("DMG", "D8", date8(member.date_of_birth), SEX_CODES.get(member.sex, "U"))


def _name(qualifier: str, member: Member, *id_parts: str) -> str:
    return segment("NM1", qualifier, "1", text(member.last_name, 60), text(member.first_name, 35),
                   text(member.middle_name, 25), "", "", *id_parts)


def build_270(request: EligibilityRequest) -> str:
    """The whole interchange as text, one segment per line."""
    control = st_control(1)
    trn = segment("TRN", "1", ident(request.trace_number, 50), ident(request.originator_id, 10))
    date = segment("DTP", "291", "D8", date8(request.service_date))
    inquiry = segment("EQ", request.service_type)
    body = [
        st("270", control, IMPLEMENTATION),
        segment("BHT", "0022", "13", ident(request.trace_number, 50), date8(request.envelope.created),
                time4(request.envelope.created)),
        segment("HL", "1", "", "20", "1"),
        segment("NM1", "PR", "2", text(request.payer_name, 60), "", "", "", "", "PI", ident(request.payer_id, 80)),
        segment("HL", "2", "1", "21", "1"),
        segment("NM1", "1P", "2", text(request.provider_name, 60), "", "", "", "", "XX",
                ident(request.provider_npi, 10)),
        segment("HL", "3", "2", "22", "1" if request.dependent else "0"),
    ]
    subscriber = request.subscriber
    subscriber_loop = [_name("IL", subscriber, "MI", ident(request.member_id, 80)), _demographics(subscriber)]
    if request.dependent is None:
        body += [trn, *subscriber_loop, date, inquiry]
    else:
        dependent = request.dependent
        body += [*subscriber_loop, segment("HL", "4", "3", "23", "0"), trn, _name("03", dependent),
                 _demographics(dependent),
                 segment("INS", "N", RELATIONSHIP_CODES.get(request.relationship, "34")), date, inquiry]
    body = [line for line in body if line]
    body.append(se(len(body) + 1, control))
    lines = [isa(request.envelope), gs(request.envelope), *body, ge(1, request.envelope), iea(1, request.envelope)]
    return "".join(f"{line}{TERMINATOR}\n" for line in lines)
