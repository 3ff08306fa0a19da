"""Demo data for the front desk hub (seeder 93, after cases and facilities).

Queues for the front desk (the default), scheduling, billing (worked by every biller), medical records, clinical
messages (clinical staff), facilities, HR and the after-hours line; routing rules in the order an office manager
would write them; two mailboxes, reply templates, the directory's profiles (one person away). Then a fortnight of
traffic through the real entry points: emails received as raw mail (one thread with a reply from the patient, one
auto-reply that is held back), calls logged at the desk with callbacks, contact-form messages and staff notes. Some
are answered by email, some closed, one forwarded; a few are late, so the SLA escalation has run on them. Seeding
again adds nothing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.core.models import Location
from openpractice.core.seeding import seeder
from openpractice.patients.models import Patient

from .choices import Category, Channel, Outcome, PresenceStatus, Priority, RuleHours
from .models import Mailbox, Message, Queue, RoutingRule
from .selectors_messages import may_work
from .services import work
from .services.callbacks import callback_create
from .services.calls import call_log
from .services.directory import presence_set, profile_update
from .services.escalation import messages_escalate
from .services.inbound_mail import mail_receive
from .services.intake import Incoming, message_intake
from .services.internal import internal_send
from .services.mailboxes import mailbox_save
from .services.queues import queue_create
from .services.replies import message_reply
from .services.templates import reply_template_save

DESK, BILLING = "desk@riverbend.example", "billing@riverbend.example"

QUEUES: tuple[dict[str, Any], ...] = (
    {"name": "Front desk", "is_default": True, "members": ("frontdesk", "om_mid"), "leads": ("om_experienced",),
     "first_response_minutes": 120, "resolve_minutes": 24 * 60},
    {"name": "Scheduling", "members": ("frontdesk", "om_entry"), "first_response_minutes": 60,
     "resolve_minutes": 8 * 60},
    {"name": "Billing questions", "role": Role.BILLER, "first_response_minutes": 8 * 60,
     "resolve_minutes": 3 * 24 * 60, "reply_address": BILLING},
    {"name": "Medical records", "members": ("om_mid", "privacy"), "first_response_minutes": 24 * 60,
     "resolve_minutes": 15 * 24 * 60},
    {"name": "Clinical messages", "role": Role.CLINICAL_STAFF, "first_response_minutes": 120,
     "resolve_minutes": 8 * 60},
    {"name": "Facilities", "members": ("om_experienced", "om_mid"), "first_response_minutes": 4 * 60,
     "resolve_minutes": 3 * 24 * 60},
    {"name": "HR", "role": Role.HR, "first_response_minutes": 24 * 60, "resolve_minutes": 5 * 24 * 60},
    {"name": "After hours", "members": ("om_experienced",), "leads": ("om_experienced",),
     "first_response_minutes": 12 * 60, "resolve_minutes": 24 * 60},
)

RULES: tuple[dict[str, Any], ...] = (
    {"name": "Calls after hours", "position": 10, "channels": [Channel.PHONE], "hours": RuleHours.CLOSED,
     "queue": "After hours", "priority": Priority.HIGH},
    {"name": "Complaints to the senior office manager", "position": 20, "categories": [Category.COMPLAINT],
     "queue": "Front desk", "assign_to": "om_experienced", "priority": Priority.HIGH},
    {"name": "Payers' mail", "position": 30, "sender_contains": "@bcbs-nc.example", "queue": "Billing questions",
     "round_robin": True, "priority": Priority.HIGH},
    {"name": "Billing words", "position": 40, "body_words": "bill, billing, invoice, statement, balance, copay, "
     "EOB, insurance, payment", "queue": "Billing questions", "round_robin": True},
    {"name": "Records requests", "position": 50, "body_words": "records, chart, release form, HIPAA",
     "queue": "Medical records"},
    {"name": "Refills", "position": 60, "body_words": "refill, prescription, pharmacy, medication",
     "queue": "Clinical messages", "priority": Priority.HIGH, "first_response_minutes": 60},
    {"name": "Appointments", "position": 70, "body_words": "appointment, reschedule, cancel, booking",
     "queue": "Scheduling", "round_robin": True},
    {"name": "Building and equipment", "position": 80, "categories": [Category.FACILITIES],
     "body_words": "", "queue": "Facilities"},
    {"name": "Staff matters", "position": 90, "channels": [Channel.INTERNAL], "categories": [Category.HR],
     "queue": "HR"},
)

TEMPLATES: tuple[dict[str, str], ...] = (
    {"name": "Appointment confirmed", "category": Category.APPOINTMENT,
     "body": "Dear {first_name},\n\nYour appointment is confirmed. Reply to this mail or call {practice_phone} if "
             "you need to change it.\n\nKind regards,\n{staff_name}"},
    {"name": "Records request received", "category": Category.RECORDS,
     "body": "Dear {first_name},\n\nWe have your request for records ({number}). Please sign the release form at "
             "the front desk; we send the copy within 30 days of it.\n\n{staff_name}"},
    {"name": "Billing question received", "category": Category.BILLING,
     "body": "Dear {first_name},\n\nThank you for your question about your statement ({number}). A billing "
             "specialist looks into it and answers within three working days.\n\n{staff_name}"},
)

# (days ago, hour, from, name, subject, text, patient?) — mail to the desk address.
MAILS: tuple[tuple[int, int, str, str, str, str], ...] = (
    (12, 9, "claims@bcbs-nc.example", "BCBS NC Provider Services", "Claim 88213 needs records",
     "Please send the visit notes for claim 88213 within 30 days."),
    (9, 10, "", "", "Question about my bill",
     "My statement shows a balance of $85 but my copay was paid at the visit. Can you check?"),
    (6, 14, "", "", "Copy of my records",
     "I am moving to Raleigh and need a copy of my records sent to my new doctor."),
    (3, 8, "", "", "Need to reschedule my appointment",
     "Something came up; can I move my appointment next week to the afternoon?"),
    (1, 11, "", "", "Refill for my blood pressure medication",
     "My pharmacy says the prescription needs a new authorization."),
    (0, 9, "office@greenlawn-care.example", "Greenlawn Care", "Spring landscaping quote",
     "Attached is our quote for the parking lot beds."),
)

CALLS: tuple[tuple[int, int, str, str, str, str, bool], ...] = (
    (10, 10, "Robert Hayes", "(919) 555-0141", Category.APPOINTMENT, "Wants an earlier appointment with Dr Mensah.",
     True),
    (8, 15, "Alma Ruiz", "(919) 555-0178", Category.BILLING, "Asks why her insurance payment was lower.", True),
    (5, 9, "Pinecrest Pharmacy", "(919) 555-0190", Category.PRESCRIPTION,
     "Pharmacy needs the refill for a patient confirmed by a nurse.", False),
    (2, 19, "Dale Morgan", "(919) 555-0112", Category.OTHER, "Called after hours about tomorrow's visit.", True),
    (1, 13, "Grace Lee", "(919) 555-0133", Category.COMPLAINT, "Unhappy about the wait time on Monday.", True),
    (0, 10, "Ken Adams", "(919) 555-0166", Category.RECORDS, "Needs a records release form emailed.", False),
)


def _at(today: dt.datetime, days_ago: int, hour: int) -> dt.datetime:
    """`hour` o'clock practice time, `days_ago` days before `today` (never in the future)."""
    day = today - dt.timedelta(days=days_ago)
    return min(day.replace(hour=hour, minute=5, second=0, microsecond=0), today)


def _raw_mail(*, sender: str, name: str, subject: str, text: str, when: dt.datetime, in_reply_to: str = "",
              auto: bool = False) -> tuple[bytes, str]:
    mail = EmailMessage()
    mail["From"] = f"{name} <{sender}>" if name else sender
    mail["To"] = DESK
    mail["Subject"] = subject
    mail["Date"] = format_datetime(when)
    message_id = make_msgid(domain=sender.split("@")[-1])
    mail["Message-ID"] = message_id
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    if auto:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(text)
    return bytes(mail), message_id


def _patients(location: Location, count: int) -> list[Patient]:
    return list(Patient.objects.filter(home_location=location).exclude(email="").order_by("pk")[:count])


@seeder(93)
def seed_frontdesk(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    locations: dict[str, Location] = context.get("locations") or {}
    if "om_experienced" not in users or not locations or Queue.objects.exists():
        return
    manager = users["om_experienced"]
    now = timezone.now().astimezone(zoneinfo.ZoneInfo(context["practice"].timezone))
    home = locations.get("downtown") or next(iter(locations.values()))

    queues = {spec["name"]: queue_create(
        actor=manager, members=[users[name] for name in spec.get("members", ()) if name in users],
        leads=[users[name] for name in spec.get("leads", ()) if name in users],
        **{key: value for key, value in spec.items() if key not in ("members", "leads")},
    ) for spec in QUEUES}
    for spec in RULES:
        rule = RoutingRule(**{**spec, "queue": queues[spec["queue"]],
                              "assign_to": users.get(spec.get("assign_to", ""))})
        rule.full_clean()
        rule.save()
    for spec in TEMPLATES:
        reply_template_save(actor=manager, template=None, name=spec["name"], body=spec["body"],
                            category=spec["category"])
    mailboxes = [
        mailbox_save(actor=manager, mailbox=None, name="Front desk", address=DESK, location=None,
                     send_acknowledgement=True, acknowledgement_text=""),
        mailbox_save(actor=manager, mailbox=None, name="Billing office", address=BILLING, location=None,
                     send_acknowledgement=False, acknowledgement_text=""),
    ]
    _profiles(users, manager)

    patients = _patients(home, len(MAILS))
    first_mail = None
    for index, (days, hour, sender, name, subject, text) in enumerate(MAILS):
        patient = patients[index] if not sender and index < len(patients) else None
        address = sender or (patient.email if patient else f"patient{index}@example.com")
        person = name or (f"{patient.first_name} {patient.last_name}" if patient else "")
        raw, message_id = _raw_mail(sender=address, name=person, subject=subject, text=text,
                                    when=_at(now, days, hour))
        entry = mail_receive(raw=raw, mailbox=mailboxes[0], envelope_recipients=[DESK])
        if entry is not None and first_mail is None and not sender:
            first_mail = (entry.message, address, person, message_id, subject)
    if first_mail is not None:
        message, address, person, message_id, subject = first_mail
        message_reply(actor=users.get("biller") or manager, message=message,
                      body="Dear {first_name},\n\nWe are checking your statement against the visit's payment and "
                           "will write again within three working days.", waiting=True)
        our_reply = message.entries.filter(kind="reply").values_list("email_message_id", flat=True).last()
        answer, _id = _raw_mail(sender=address, name=person, subject=f"Re: {subject}",
                                text="Thank you. The receipt number was 4411.", when=now,
                                in_reply_to=our_reply or message_id)
        mail_receive(raw=answer, mailbox=mailboxes[0], envelope_recipients=[DESK])
        # The patient's autoresponder answers too: kept on the thread, never acknowledged, nothing reopened.
        out_of_office, _id = _raw_mail(sender=address, name=person, subject="Out of office",
                                       text="I am away until Monday.", when=now, in_reply_to=our_reply or message_id,
                                       auto=True)
        mail_receive(raw=out_of_office, mailbox=mailboxes[0], envelope_recipients=[DESK])

    desk = users.get("frontdesk") or manager
    for days, hour, caller, phone, category, text, callback in CALLS:
        when = _at(now, days, hour)
        logged = call_log(actor=desk, caller_name=caller, phone=phone, body=text, category=category, location=home,
                          callback_number=phone if callback else "",
                          callback_due_at=when + dt.timedelta(hours=2) if callback else None, now=when)
        if days >= 8:
            work.message_close(actor=desk if may_work(actor=desk, message=logged.message) else manager,
                               message=logged.message, outcome=Outcome.RESOLVED, note="Sorted on the phone.")

    for days, subject, text, category, queue in (
        (4, "Parking lot light out", "The light by the back entrance is out again.", Category.FACILITIES,
         "Facilities"),
        (2, "PTO question", "Can I carry unused PTO into next year?", Category.HR, "HR"),
    ):
        internal_send(actor=users.get("clinical") or desk, subject=subject, body=text, category=category,
                      queue=queues[queue], location=locations.get("north-hills") or home, now=_at(now, days, 12))
    message_intake(actor=None, incoming=Incoming(
        channel=Channel.WEB, subject="New patient: do you take Aetna?", body="I would like to become a patient.",
        sender_name="Jordan Price", sender_email="jordan.price@example.com", location=home,
        received_at=_at(now, 1, 21)))
    forwarded = Message.objects.filter(subject__startswith="Spring landscaping").first()
    if forwarded is not None:
        work.message_forward(actor=manager, message=forwarded, queue=queues["Facilities"],
                             note="A vendor quote: facilities decides.")
    late = Message.objects.filter(status__in=("new", "open"), subject="Copy of my records").first()
    if late is not None:
        callback_create(actor=manager, message=late, assignee=users.get("om_mid") or manager,
                        number="(919) 555-0150", due_at=now + dt.timedelta(hours=3), note="Confirm the address.")
    escalated = messages_escalate(now=now)
    context.setdefault("report", []).append(
        f"front desk: {len(queues)} queues, {len(RULES)} rules, {Message.objects.count()} messages "
        f"({escalated} escalated), {Mailbox.objects.count()} mailboxes")


def _profiles(users: dict[str, User], manager: User) -> None:
    profiles = {
        "frontdesk": ("Appointments, new patients, forms", "101"),
        "biller": ("Statements, payment plans, insurance questions", "204"),
        "om_mid": ("Records requests, the North Hills office", "110"),
        "om_experienced": ("Complaints, vendors, building and equipment", "100"),
        "hr": ("Pay, PTO, benefits, hiring", "300"),
    }
    for name, (handles, extension) in profiles.items():
        if name in users:
            profile_update(actor=manager, user=users[name], handles=handles, extension=extension,
                           presence=PresenceStatus.ON_DUTY)
    if "clinical" in users:
        presence_set(actor=users["clinical"], user=users["clinical"], presence=PresenceStatus.AWAY,
                     note="At a training course", away_until=timezone.now() + dt.timedelta(hours=6))
