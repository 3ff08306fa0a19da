"""Front desk communications: calls, emails, web-form and internal messages in one set of queues.

A Message is one conversation the practice must answer (a call logged at the desk, an email thread, a contact-form
submission, a note between staff). Routing rules put it in a Queue (a department's, a role's or a person's), may
assign it (a named person or round-robin among the queue's members) and set its priority and service levels.
Every step lands on the message's append-only timeline (MessageEntry); mail in and out are entries too, carrying
their Message-ID so replies stay in the thread. Messages hold PHI (who called about what): selectors decide which
ones a user sees, and the patient's details only show to roles that may see them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Role
from openpractice.core.fields import EncryptedTextField
from openpractice.core.models import TimeStampedModel
from openpractice.core.validators import validate_phone

from .choices import Category, Channel, EntryKind, MessageStatus, Outcome, PresenceStatus, Priority, RuleHours

# Service levels when neither the rule nor the queue says otherwise (minutes).
DEFAULT_FIRST_RESPONSE_MINUTES = 4 * 60
DEFAULT_RESOLVE_MINUTES = 2 * 24 * 60


class Queue(TimeStampedModel):
    """Where messages wait for someone: a department's, a role's (everyone holding the role at the message's
    location works it) or a small team's (the members listed). Exactly one queue is the default: a message no
    rule matches lands there, so nothing is ever dropped."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="message_queues", verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True,
                            help_text=_("Everyone holding this role at the message's location works the queue."))
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="message_queues", verbose_name=_("location"),
                                 help_text=_("Leave empty for a practice-wide queue."))
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="QueueMember", related_name="message_queues",
                                     blank=True)
    is_default = models.BooleanField(_("default queue"), default=False,
                                     help_text=_("Messages no rule matches land here."))
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), default=DEFAULT_FIRST_RESPONSE_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)])
    resolve_minutes = models.PositiveIntegerField(
        _("resolve within (minutes)"), default=DEFAULT_RESOLVE_MINUTES,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 90)])
    signature = models.TextField(_("signature"), blank=True,
                                 help_text=_("Added under replies sent from this queue (after the person's own)."))
    reply_address = models.EmailField(_("reply from"), blank=True,
                                      help_text=_("The address replies are sent from; the practice's if empty."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="queue_one_default"),
            models.CheckConstraint(condition=Q(is_default=False) | Q(is_active=True), name="queue_default_active"),
        ]

    def __str__(self) -> str:
        return self.name


class QueueMember(models.Model):
    """A person working a queue. Round-robin hands the next message to the member after `last_assigned_at`'s
    oldest value (the one who waited longest), skipping people away or off today."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queue_memberships")
    is_lead = models.BooleanField(_("lead"), default=False,
                                  help_text=_("Leads are told when a message in the queue breaches its SLA."))
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["queue", "user"]
        constraints = [models.UniqueConstraint(fields=["queue", "user"], name="queue_member_unique")]

    def __str__(self) -> str:
        return f"{self.queue} · {self.user}"


class RoutingRule(TimeStampedModel):
    """Conditions (all that are set must hold) -> a queue, optionally an assignee, priority and service levels.
    Rules are tried in `position` order and the first that matches decides; none matching means the default
    queue. Word lists are comma-separated and matched as whole words, case-insensitively."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=100, help_text=_("Lower numbers are tried first."))
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions
    channels = models.JSONField(_("channels"), default=list, blank=True,
                                help_text=_("Empty means every channel."))
    categories = models.JSONField(_("categories"), default=list, blank=True,
                                  help_text=_("Empty means every category."))
    subject_words = models.CharField(_("words in the subject"), max_length=500, blank=True)
    body_words = models.CharField(_("words in the subject or text"), max_length=500, blank=True)
    sender_contains = models.CharField(_("sender contains"), max_length=200, blank=True,
                                       help_text=_("Part of the address or number, e.g. @bcbs.com."))
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("location"))
    provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("patient's provider"),
                                 help_text=_("The provider of the matched patient's next (or last) appointment."))
    hours = models.CharField(_("when"), max_length=6, choices=RuleHours.choices, default=RuleHours.ANY)
    time_from = models.TimeField(_("from (local time)"), null=True, blank=True)
    time_to = models.TimeField(_("until (local time)"), null=True, blank=True,
                               help_text=_("A window may pass midnight, e.g. 18:00 to 07:00."))
    # Actions
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="rules", verbose_name=_("to queue"))
    assign_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("assign to"))
    round_robin = models.BooleanField(_("round-robin among the queue's members"), default=False)
    priority = models.CharField(_("set priority"), max_length=6, choices=Priority.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), null=True,
                                                         blank=True, validators=[MinValueValidator(1)])
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"), null=True, blank=True,
                                                  validators=[MinValueValidator(1)])
    matched_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(assign_to__isnull=True) | Q(round_robin=False),
                                   name="rule_assign_or_round_robin"),
            models.CheckConstraint(condition=(Q(time_from__isnull=True) & Q(time_to__isnull=True))
                                   | (Q(time_from__isnull=False) & Q(time_to__isnull=False)),
                                   name="rule_time_window_whole"),
        ]

    def __str__(self) -> str:
        return self.name


class Mailbox(TimeStampedModel):
    """A practice mailbox read over IMAP (or the address the built-in SMTP endpoint accepts mail for)."""

    name = models.CharField(_("name"), max_length=80)
    address = models.EmailField(_("address"), unique=True)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("location"))
    imap_host = models.CharField(_("IMAP host"), max_length=200, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993,
                                            validators=[MinValueValidator(1), MaxValueValidator(65535)])
    imap_security = models.CharField(_("IMAP security"), max_length=8, default="ssl",
                                     choices=[("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("none"))])
    imap_username = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    imap_folder = models.CharField(_("folder"), max_length=100, default="INBOX")
    # Where reading stopped: IMAP UIDs only mean something within one UIDVALIDITY.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=500, blank=True, editable=False)
    send_acknowledgement = models.BooleanField(
        _("acknowledge new mail"), default=True,
        help_text=_("Answer the first mail of a thread with the text below (never automatic mail or loops)."))
    acknowledgement_text = models.TextField(_("acknowledgement"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"


class Message(TimeStampedModel):
    """One conversation in a queue. Its number (MSG-000042) is the primary key, shown to staff and in replies."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=8, choices=MessageStatus.choices, default=MessageStatus.NEW)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    category = models.CharField(_("category"), max_length=12, choices=Category.choices, default=Category.OTHER)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    # Who it is from. A call or form gives a name and number; an email its address; an internal message a user.
    sender_name = models.CharField(_("caller / sender"), max_length=120, blank=True)
    sender_email = models.EmailField(_("email"), blank=True, db_index=True)
    sender_phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    callback_number = models.CharField(_("callback number"), max_length=20, blank=True, validators=[validate_phone])
    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("from (staff)"))
    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("location"))
    # Routing
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="messages", verbose_name=_("queue"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="assigned_messages", verbose_name=_("assigned to"))
    routed_by = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  help_text=_("The rule that decided the queue; empty for the default queue."))
    # Service levels (set at routing; met or breached as the message is worked)
    received_at = models.DateTimeField(_("received"), db_index=True)
    first_response_due = models.DateTimeField(_("first response due"))
    resolve_due = models.DateTimeField(_("resolve by"))
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=500, blank=True)
    # Links to what the message is about (each shown only to those who may see it)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("patient"))
    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("appointment"))
    claim = models.ForeignKey("billing.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("claim"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("case"))
    work_order = models.ForeignKey("facilities.WorkOrder", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("work order"))
    is_auto_submitted = models.BooleanField(_("automatic mail"), default=False,
                                            help_text=_("An auto-reply, bounce or bulk mail: never acknowledged."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", help_text=_("Who logged the call or wrote the message."))

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["queue", "status", "received_at"], name="message_queue_status"),
            models.Index(fields=["assignee", "status"], name="message_assignee_status"),
            models.Index(fields=["status", "first_response_due"], name="message_status_frdue"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status="closed", closed_at__isnull=False)
                                   | (~Q(status="closed") & Q(closed_at__isnull=True)),
                                   name="message_closed_at_with_status"),
            models.CheckConstraint(condition=~Q(status="closed") | ~Q(outcome=""), name="message_closed_outcome"),
            models.CheckConstraint(condition=Q(first_response_due__gte=models.F("received_at"))
                                   & Q(resolve_due__gte=models.F("received_at")), name="message_due_after_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"MSG-{self.pk:06d}" if self.pk else "MSG-new"

    @property
    def is_open(self) -> bool:
        return self.status != MessageStatus.CLOSED

    def first_response_breached(self, now: dt.datetime) -> bool:
        answered = self.first_response_at or (None if self.is_open else self.closed_at)
        return (answered or now) > self.first_response_due

    def resolve_breached(self, now: dt.datetime) -> bool:
        return (self.closed_at or now) > self.resolve_due


class MessageEntry(models.Model):
    """One line of a message's timeline, never changed once written. Mail entries keep the headers that thread
    replies (Message-ID, In-Reply-To, References) and the text; HTML is kept only as sanitised by nh3."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    created_at = models.DateTimeField(_("when"), db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("sanitised HTML"), blank=True)
    # Mail
    email_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(_("from"), max_length=254, blank=True)
    to_addresses = models.TextField(_("to"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    # Forward / assign targets
    to_queue = models.ForeignKey(Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = _("message entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"


class MessageAttachment(models.Model):
    """A file that came with an email (or a form): checked, size-limited, stored outside the web root under a
    random name and served only by a permission-checked view."""

    entry = models.ForeignKey(MessageEntry, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    stored_name = models.CharField(max_length=100, unique=True, editable=False)
    sha256 = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["entry", "pk"]

    def __str__(self) -> str:
        return self.filename


class CallbackTask(models.Model):
    """Someone must call a person back by a time: listed on the assignee's page until done."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="callbacks")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="callback_tasks")
    number = models.CharField(_("number"), max_length=20, validators=[validate_phone])
    due_at = models.DateTimeField(_("call back by"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    result = models.CharField(_("result"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["done_at", "due_at", "pk"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"], name="callback_assignee_open")]
        constraints = [
            models.CheckConstraint(condition=Q(done_at__isnull=True) | Q(done_by__isnull=False),
                                   name="callback_done_by_someone"),
        ]

    def __str__(self) -> str:
        return f"Call {self.number} by {self.due_at:%Y-%m-%d %H:%M}"


class ReplyTemplate(TimeStampedModel):
    """A canned reply. Placeholders: {first_name} (the sender's), {number} (the message's), {staff_name},
    {practice_name}, {practice_phone}."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    category = models.CharField(_("for category"), max_length=12, choices=Category.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True,
                               help_text=_("Empty keeps 'Re:' and the message's subject."))
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What the staff directory shows about a person beyond their roles: what they handle, their extension, the
    signature under their replies, and whether they are on duty or away (set by the person or their manager;
    approved time off also counts as away)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile")
    handles = models.CharField(_("handles"), max_length=300, blank=True,
                               help_text=_("What to send this person, e.g. 'prior authorizations, Aetna claims'."))
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    signature = models.TextField(_("reply signature"), blank=True)
    presence = models.CharField(_("status"), max_length=8, choices=PresenceStatus.choices,
                                default=PresenceStatus.ON_DUTY)
    presence_note = models.CharField(_("status note"), max_length=120, blank=True)
    away_until = models.DateTimeField(_("away until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}"


class InboundRate(models.Model):
    """Mail received per sender and hour, to stop loops: past the limit a sender's mail is held back (kept on one
    message, never acknowledged) until the hour turns."""

    sender = models.CharField(max_length=254)
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "hour"], name="inbound_rate_sender_hour")]

    def __str__(self) -> str:
        return f"{self.sender} {self.hour:%Y-%m-%d %H}: {self.count}"


class ContactSubmission(models.Model):
    """Throttle record for the public contact form: one row per accepted or refused submission (hashed address),
    so the rate limit holds across processes."""

    client_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(db_index=True)
    accepted = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.client_hash[:8]} {self.created_at:%Y-%m-%d %H:%M}"


__all__ = [
    "CallbackTask", "Category", "Channel", "ContactSubmission", "EntryKind", "InboundRate", "Mailbox", "Message",
    "MessageAttachment", "MessageEntry", "MessageStatus", "Outcome", "Queue", "QueueMember", "ReplyTemplate",
    "RoutingRule", "StaffProfile",
]
