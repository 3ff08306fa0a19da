"""Facilities: the practice's appliances and equipment (assets), their preventive maintenance plans, work orders to
staff or to outside maintenance and cleaning firms, cleaning schedules and inspections, and the safety logs clinics
keep for inspectors (refrigerator and freezer temperatures, autoclave cycles and spore tests, monthly checks of
eyewash stations, fire extinguishers and AEDs).

No PHI lives here. Money (purchase cost, work-order costs) is Decimal. Uploaded photos and manuals are stored outside
the web root under random names and served by permission-checked views; a maintenance firm reaches one work order
through a signed, expiring, revocable link (VendorLink) and nothing else.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from .choices import (
    AssetKind,
    AssetStatus,
    CostKind,
    IntervalUnit,
    Priority,
    SafetyCheckKind,
    SafetyFrequency,
    WorkOrderSource,
    WorkOrderStatus,
)

ZERO = Decimal("0")


class Asset(TimeStampedModel):
    """An appliance or piece of equipment at one location (and room)."""

    tag = models.CharField(_("asset tag"), max_length=20, unique=True,
                           help_text=_("The number on the label, e.g. A-0042."))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=AssetKind.choices)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="assets",
                                 verbose_name=_("location"))
    room = models.CharField(_("room"), max_length=60, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=80, blank=True)
    model_number = models.CharField(_("model"), max_length=80, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    purchased_on = models.DateField(_("purchase date"), null=True, blank=True)
    purchase_cost = models.DecimalField(_("purchase cost"), max_digits=12, decimal_places=2, null=True, blank=True,
                                        validators=[MinValueValidator(ZERO)])
    warranty_ends_on = models.DateField(_("warranty ends"), null=True, blank=True)
    service_vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="serviced_assets", verbose_name=_("service vendor"))
    status = models.CharField(_("status"), max_length=14, choices=AssetStatus.choices,
                              default=AssetStatus.IN_SERVICE)
    meter_reading = models.PositiveIntegerField(_("meter reading"), default=0,
                                                help_text=_("Cycles, copies or hours, for plans by meter."))
    meter_unit = models.CharField(_("meter unit"), max_length=20, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["location__name", "name", "tag"]
        indexes = [models.Index(fields=["location", "status"], name="asset_location_status")]
        constraints = [
            models.CheckConstraint(condition=Q(purchase_cost__isnull=True) | Q(purchase_cost__gte=0),
                                   name="asset_cost_not_negative",
                                   violation_error_message=_("The purchase cost cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.tag} {self.name}"


class AssetDocument(models.Model):
    """A manual, warranty, service report or invoice kept with the asset."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(upload_to="facilities/assets/", max_length=200)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class MaintenancePlan(TimeStampedModel):
    """Preventive maintenance every N days or months, or every N units of the asset's meter. A background task
    opens the work order `lead_days` before the due date (or when the meter reaches the due reading)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="plans", verbose_name=_("asset"))
    title = models.CharField(_("title"), max_length=120)
    interval = models.PositiveIntegerField(_("every"), validators=[MinValueValidator(1)])
    interval_unit = models.CharField(_("unit"), max_length=6, choices=IntervalUnit.choices)
    next_due_on = models.DateField(_("next due"), null=True, blank=True)
    next_due_meter = models.PositiveIntegerField(_("next due at meter reading"), null=True, blank=True)
    lead_days = models.PositiveSmallIntegerField(_("open the work order this many days ahead"), default=14)
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("assign to (staff)"))
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("assign to (firm)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["next_due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(interval__gte=1), name="plan_interval_positive"),
            models.CheckConstraint(
                condition=(Q(interval_unit="meter", next_due_meter__isnull=False)
                           | (~Q(interval_unit="meter") & Q(next_due_on__isnull=False))),
                name="plan_has_next_due",
                violation_error_message=_("Give the next due date (or, for a plan by meter, the reading).")),
            models.CheckConstraint(condition=Q(assignee__isnull=True) | Q(vendor__isnull=True),
                                   name="plan_one_assignee",
                                   violation_error_message=_("Assign the plan to a person or to a firm, not both.")),
        ]

    def __str__(self) -> str:
        return self.title


class PlanChecklistItem(models.Model):
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("step"), max_length=200)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class WorkOrder(TimeStampedModel):
    """A job: a reported problem, a preventive maintenance visit, or an issue found by a cleaning inspection or a
    safety log. Assigned to a staff member or an outside firm; SLA times come from its priority."""

    title = models.CharField(_("problem"), max_length=160)
    description = models.TextField(_("details"), blank=True)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="work_orders",
                                 verbose_name=_("location"))
    room = models.CharField(_("room"), max_length=60, blank=True)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders",
                              verbose_name=_("asset"))
    source = models.CharField(_("source"), max_length=10, choices=WorkOrderSource.choices,
                              default=WorkOrderSource.REPORTED)
    plan = models.ForeignKey(MaintenancePlan, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="work_orders")
    due_on = models.DateField(_("maintenance due"), null=True, blank=True)
    cleaning_inspection = models.ForeignKey("CleaningInspection", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="work_orders")
    safety_entry = models.ForeignKey("SafetyLogEntry", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="work_orders")
    priority = models.CharField(_("priority"), max_length=6, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(_("status"), max_length=13, choices=WorkOrderStatus.choices,
                              default=WorkOrderStatus.NEW)
    asset_down = models.BooleanField(_("the equipment is out of service"), default=False)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="facility_work_orders", verbose_name=_("assigned to (staff)"))
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="work_orders", verbose_name=_("assigned to (firm)"))
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolve_by = models.DateTimeField(_("resolve by"), null=True, blank=True)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["location", "status"], name="workorder_location_status"),
            models.Index(fields=["status", "resolve_by"], name="workorder_status_resolve_by"),
        ]
        constraints = [
            # The task that opens preventive work orders may run twice: one work order per plan and due date.
            models.UniqueConstraint(fields=["plan", "due_on"], condition=Q(plan__isnull=False),
                                    name="workorder_once_per_plan_due"),
            models.CheckConstraint(condition=Q(assigned_to__isnull=True) | Q(vendor__isnull=True),
                                   name="workorder_one_assignee",
                                   violation_error_message=_("Assign the work order to a person or a firm, "
                                                             "not both.")),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """What staff and firms quote: WO-00042 (the primary key, so numbering needs no lock)."""
        return f"WO-{self.pk:05d}" if self.pk else ""

    @property
    def is_open(self) -> bool:
        return self.status not in (WorkOrderStatus.DONE, WorkOrderStatus.VERIFIED, WorkOrderStatus.CANCELLED)


class WorkOrderChecklistItem(models.Model):
    """A step of a preventive work order, copied from its plan when the work order opens."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="checklist")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class WorkOrderEvent(models.Model):
    """The work order's timeline (append-only): created, assigned, dispatched, status changes, notes, costs,
    photos, escalations; by a staff member or by the firm through its link."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    by_vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    kind = models.CharField(max_length=20)
    status_from = models.CharField(max_length=13, blank=True)
    status_to = models.CharField(max_length=13, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind}"


class WorkOrderCost(models.Model):
    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(_("kind"), max_length=14, choices=CostKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, null=True, blank=True,
                                validators=[MinValueValidator(ZERO)])
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(ZERO)])
    invoice_number = models.CharField(_("invoice number"), max_length=40, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    via_vendor_link = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="workorder_cost_not_negative",
                                   violation_error_message=_("A cost cannot be negative.")),
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours__gte=0), name="workorder_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"


class WorkOrderPhoto(models.Model):
    """A photo of the problem (or of the repair), checked by its first bytes and stored under a random name."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to="facilities/photos/", max_length=200)
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    via_vendor_link = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.file.name or ""


class VendorLink(models.Model):
    """A firm's access to one work order, without an account: the URL carries a signature over this row's id and
    nonce; it works until `expires_at` and stops at once when revoked (or when the work order is verified)."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="vendor_links")
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, related_name="+")
    sent_to = models.EmailField()
    nonce = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.vendor_id} -> {self.work_order_id}"


class CleaningSchedule(TimeStampedModel):
    """Who cleans what and how often: a location (or one room of it), by a cleaning firm under a contract or by
    staff, with the tasks an inspection checks."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="cleaning_schedules",
                                 verbose_name=_("location"))
    room = models.CharField(_("room or area"), max_length=60, blank=True, help_text=_("Empty: the whole location."))
    vendor = models.ForeignKey("vendors.Vendor", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("cleaning firm"))
    contract = models.ForeignKey("vendors.Contract", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("contract"))
    frequency = models.CharField(_("how often"), max_length=11, choices=SafetyFrequency.choices,
                                 default=SafetyFrequency.DAILY)
    weekdays = models.CharField(_("days of the week"), max_length=20, blank=True,
                                help_text=_("Numbers 0 (Monday) to 6 (Sunday), comma separated; empty: every day."))
    tasks = models.TextField(_("tasks"), help_text=_("One task per line; inspections check each."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["location__name", "room", "pk"]

    def __str__(self) -> str:
        return f"{self.location.name} {self.room}".strip()

    def task_lines(self) -> list[str]:
        return [line.strip() for line in self.tasks.splitlines() if line.strip()]


class CleaningInspection(models.Model):
    schedule = models.ForeignKey(CleaningSchedule, on_delete=models.PROTECT, related_name="inspections")
    inspected_on = models.DateField(_("inspected on"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-inspected_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.inspected_on}"


class CleaningInspectionItem(models.Model):
    inspection = models.ForeignKey(CleaningInspection, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=200)
    passed = models.BooleanField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class SafetyCheckpoint(TimeStampedModel):
    """Something the clinic must check and log: a vaccine refrigerator's temperature twice a day, an autoclave's
    cycles and weekly spore test, an eyewash station, fire extinguisher or AED monthly."""

    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="safety_checkpoints",
                                 verbose_name=_("location"))
    room = models.CharField(_("room"), max_length=60, blank=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=15, choices=SafetyCheckKind.choices)
    frequency = models.CharField(_("how often"), max_length=11, choices=SafetyFrequency.choices)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, null=True, blank=True, related_name="checkpoints",
                              verbose_name=_("asset"))
    minimum = models.DecimalField(_("lowest acceptable"), max_digits=6, decimal_places=1, null=True, blank=True)
    maximum = models.DecimalField(_("highest acceptable"), max_digits=6, decimal_places=1, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=4, blank=True, help_text=_("°F or °C for temperatures."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["location__name", "kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(minimum__isnull=True) | Q(maximum__isnull=True)
                                   | Q(minimum__lt=models.F("maximum")), name="checkpoint_range_ordered",
                                   violation_error_message=_("The lowest value must be below the highest.")),
        ]

    def __str__(self) -> str:
        return self.name


class SafetyLogEntry(models.Model):
    """One reading or check. `slot` is am/pm for twice-daily checks and "day" otherwise: one entry per checkpoint,
    day and slot (a correction is a new entry that supersedes it, so what was first written stays)."""

    checkpoint = models.ForeignKey(SafetyCheckpoint, on_delete=models.PROTECT, related_name="entries")
    log_date = models.DateField(_("date"))
    slot = models.CharField(_("time of day"), max_length=3, default="day")
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("reading"), max_digits=6, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"))
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    corrective_action_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                             blank=True, related_name="+")
    corrective_action_at = models.DateTimeField(null=True, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="supersedes")

    class Meta:
        ordering = ["-log_date", "-recorded_at", "-pk"]
        indexes = [models.Index(fields=["checkpoint", "log_date"], name="safetylog_checkpoint_date")]
        constraints = [
            models.CheckConstraint(condition=Q(slot__in=["am", "pm", "day"]), name="safetylog_slot_known"),
        ]

    def __str__(self) -> str:
        return f"{self.checkpoint_id} {self.log_date} {self.slot}"
