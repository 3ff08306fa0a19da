from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    EMAIL = "email", _("Email")
    WEB = "web", _("Web contact form")
    INTERNAL = "internal", _("Internal message")


class Category(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointments")
    BILLING = "billing", _("Billing and insurance")
    RECORDS = "records", _("Medical records request")
    PRESCRIPTION = "prescription", _("Prescriptions and refills")
    REFERRAL = "referral", _("Referrals")
    CLINICAL = "clinical", _("Clinical question")
    COMPLAINT = "complaint", _("Complaint")
    VENDOR = "vendor", _("Vendors and deliveries")
    FACILITIES = "facilities", _("Building and equipment")
    HR = "hr", _("Staff and HR")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    """Highest first; the queue sorts by this order (see PRIORITY_RANK)."""

    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class MessageStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("In progress")
    WAITING = "waiting", _("Waiting (callback or reply)")
    CLOSED = "closed", _("Closed")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    ANSWERED = "answered", _("Answered, no further action")
    REFERRED = "referred", _("Referred to a case or work order")
    NO_RESPONSE = "no_response", _("Could not reach the person")
    DUPLICATE = "duplicate", _("Duplicate")
    SPAM = "spam", _("Spam, loop or wrong number")


class EntryKind(models.TextChoices):
    """One line on a message's timeline. Inbound/outbound carry mail; the rest record what staff did."""

    INBOUND = "inbound", _("Received")
    REPLY = "reply", _("Reply sent")
    NOTE = "note", _("Internal note")
    ROUTED = "routed", _("Routed")
    CLAIMED = "claimed", _("Claimed")
    ASSIGNED = "assigned", _("Assigned")
    FORWARDED = "forwarded", _("Forwarded")
    LINKED = "linked", _("Linked")
    CALLBACK = "callback", _("Callback")
    ESCALATED = "escalated", _("Escalated")
    STATUS = "status", _("Status changed")
    LOOP = "loop", _("Automatic mail held back")


class RuleHours(models.TextChoices):
    ANY = "any", _("Any time")
    OPEN = "open", _("While the location is open")
    CLOSED = "closed", _("Out of hours")


class PresenceStatus(models.TextChoices):
    ON_DUTY = "on_duty", _("On duty")
    BUSY = "busy", _("Busy / do not disturb")
    AWAY = "away", _("Away")
    OFF = "off", _("Off today")
