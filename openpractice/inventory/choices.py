from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemCategory(models.TextChoices):
    SUPPLY = "supply", _("General supply")
    MEDICAL = "medical", _("Medical supply")
    OFFICE = "office", _("Office supply")
    FURNITURE = "furniture", _("Furniture")
    EQUIPMENT = "equipment", _("Equipment")


class PlaceKind(models.TextChoices):
    SUPPLY_ROOM = "supply_room", _("Supply room")
    EXAM_ROOM = "exam_room", _("Exam room")
    SAMPLES = "samples", _("Sample cabinet")
    OFFICE = "office", _("Office")
    OTHER = "other", _("Other")


class MovementKind(models.TextChoices):
    RECEIVE = "receive", _("Received")
    CONSUME = "consume", _("Used")
    TRANSFER = "transfer", _("Transferred")
    ADJUST_IN = "adjust_in", _("Adjusted up")
    ADJUST_OUT = "adjust_out", _("Adjusted down")
    EXPIRE = "expire", _("Expired")
    DISPOSE = "dispose", _("Disposed")
    SAMPLE = "sample", _("Sample received")


# What each kind does to stock: +1 adds to `to_place`, -1 takes from `from_place`, 0 moves between them.
MOVEMENT_DIRECTION: dict[str, int] = {
    MovementKind.RECEIVE: 1, MovementKind.SAMPLE: 1, MovementKind.ADJUST_IN: 1,
    MovementKind.CONSUME: -1, MovementKind.ADJUST_OUT: -1, MovementKind.EXPIRE: -1, MovementKind.DISPOSE: -1,
    MovementKind.TRANSFER: 0,
}


class CountStatus(models.TextChoices):
    OPEN = "open", _("Counting")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class RequisitionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ORDERED = "ordered", _("Ordered")
    CANCELLED = "cancelled", _("Cancelled")


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the vendor")
    PARTIAL = "partial", _("Partly received")
    RECEIVED = "received", _("Received")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class InvoiceStatus(models.TextChoices):
    ENTERED = "entered", _("Entered")
    VARIANCE = "variance", _("Does not match")
    READY = "ready", _("Ready to pay")
    PAID = "paid", _("Paid")
