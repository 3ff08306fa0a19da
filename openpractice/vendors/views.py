"""Vendor pages: the list, a vendor with everything about it (contacts, contracts, negotiations, rep visits, its
BAA standing for those who see the compliance register), the vendor and contact forms, the categories, and the
audited reveal of a tax ID.

vendors.view opens the pages (vendors are practice-wide); vendors.manage changes things. The services check
again: a refusal is the same 404, audited, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.compliance.selectors import associates as compliance_associates
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors
from .choices import VendorKind
from .forms import CategoryForm, ContactForm, VendorForm
from .models import Vendor, VendorContact
from .services import setup as setup_services
from .services import vendors as services

ACTIVE_CHOICES = {"yes": True, "no": False, "all": None}
RECENT = 10


def int_param(value: str | None) -> int | None:
    """A positive id from the query string, or None."""
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**31 else None


def choice_param(value: str | None, allowed: Any) -> str:
    return value if value is not None and value in allowed else ""


def vendor_param(request: HttpRequest) -> Vendor | None:
    """The vendor named by ?vendor= when the actor sees it (a preset for a form), else None."""
    pk = int_param(request.GET.get("vendor"))
    return selectors.vendors_visible(actor=request.user).filter(pk=pk).first() if pk else None


def get_vendor(request: HttpRequest, pk: int) -> Vendor:
    return get_scoped_or_404(request, selectors.vendors_visible(actor=request.user),
                             permission=Perm.VENDORS_VIEW, pk=pk)


def _form_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context, status=400 if context["form"].errors else 200)


# --- the list and the vendor -----------------------------------------------------------------------------------


def _primary_contact(vendor: Vendor) -> str:
    return ", ".join(f"{contact.name} · {contact.phone}" if contact.phone else contact.name
                     for contact in vendor.primary_contacts)  # type: ignore[attr-defined]


VENDOR_EXPORT = Export(name="vendors", object_type="vendors.vendor", columns=[
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Categories"), lambda vendor: [category.name for category in vendor.categories.all()]),
    Column(gettext_lazy("Primary contact"), _primary_contact),
    Column(gettext_lazy("Payment terms"), "get_payment_terms_display"),
    Column(gettext_lazy("Active contracts"), "active_contracts"),
    Column(gettext_lazy("Handles PHI"), "handles_phi"),
    Column(gettext_lazy("Active"), "is_active"),
])
CATEGORY_EXPORT = Export(name="vendor categories", object_type="vendors.vendorcategory", columns=[
    Column(gettext_lazy("Category"), "name"),
    Column(gettext_lazy("Vendors"), "vendor_count"),
])


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def vendor_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    kind = choice_param(params.get("kind"), VendorKind.values)
    category = int_param(params.get("category"))
    active_key = choice_param(params.get("active"), ACTIVE_CHOICES) or "yes"
    queryset = selectors.vendor_rows(actor=request.user, kind=kind, category_id=category,
                                     active=ACTIVE_CHOICES[active_key])
    rows = table(request, queryset, sorts={
        "name": "name", "kind": "kind", "terms": "payment_terms", "contracts": "active_contracts",
    }, default_sort="name", search_fields=("name", "account_number"), element_id="vendor-table")
    return render_table(request, "vendors/vendor_list.html", {
        "table": rows, "table_template": "vendors/vendor_table.html",
        "filter_template": "vendors/vendor_filter.html", "export": VENDOR_EXPORT,
        "kind": kind, "kinds": VendorKind.choices, "category": category,
        "categories": list(selectors.vendor_categories()), "active": active_key,
        "may_manage": can(request.user, Perm.VENDORS_MANAGE),
    })


BAA_STANDINGS = {
    compliance_associates.FLAGGED: ("badge-danger", gettext_lazy("No agreement in force")),
    compliance_associates.REVIEW_DUE: ("badge-warn", gettext_lazy("Agreement in force, review or end due soon")),
    compliance_associates.COVERED: ("badge-ok", gettext_lazy("Agreement in force")),
    compliance_associates.NOT_NEEDED: ("", gettext_lazy("Not needed (no PHI)")),
    compliance_associates.INACTIVE: ("", gettext_lazy("No longer in use")),
}


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def vendor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = get_vendor(request, pk)
    user = request.user
    today = practice_today()
    negotiations = selectors.negotiation_rows(actor=user, vendor_id=vendor.pk)
    context: dict[str, Any] = {
        "vendor": vendor, "today": today,
        "categories": list(vendor.categories.all()),
        "contacts": list(selectors.vendor_contacts(vendor)),
        "contracts": list(selectors.vendor_contracts(vendor)),
        "negotiations": list(negotiations[:RECENT]), "negotiation_count": negotiations.count(),
        "savings": selectors.savings_total(negotiations),
        "visits": list(selectors.rep_visit_rows(actor=user, vendor_id=vendor.pk)[:RECENT]),
        "tax_id_masked": selectors.tax_id_masked(vendor),
        "may_manage": can(user, Perm.VENDORS_MANAGE),
        "may_negotiate": can(user, Perm.VENDORS_NEGOTIATE),
        "may_reveal": selectors.may_reveal_tax_id(user) and bool(vendor.tax_id_last4),
        "sees_register": selectors.may_see_baa_register(user),
    }
    if context["sees_register"]:
        associate = selectors.vendor_baa(actor=user, vendor=vendor, today=today)
        context["associate"] = associate
        if associate is not None:
            context["baa_badge"], context["baa_label"] = BAA_STANDINGS.get(associate.standing, ("", ""))
    return render(request, "vendors/vendor_detail.html", context)


@require_POST
@permission_required(Perm.VENDORS_MANAGE)
def vendor_taxid(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the full tax ID once (an audited reveal); nothing caches the page."""
    vendor = get_vendor(request, pk)
    value = selectors.vendor_tax_id_reveal(actor=request.user, vendor=vendor)
    response = render(request, "vendors/vendor_taxid.html", {"vendor": vendor, "value": value or ""})
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def vendor_create(request: HttpRequest) -> HttpResponse:
    form = VendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created: list[Vendor] = []
        if run_service(form, lambda: created.append(services.vendor_create(
                actor=request.user, data=form.service_data(), categories=form.cleaned_data["categories"]))):
            messages.success(request, _("Vendor added."))
            return redirect("vendors:vendor_detail", pk=created[0].pk)
    return _form_page(request, "vendors/vendor_form.html", {"form": form, "vendor": None})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def vendor_edit(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = get_vendor(request, pk)
    form = VendorForm(request.POST or None, instance=vendor)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.vendor_update(
            actor=request.user, vendor=vendor, data=form.service_data(),
            categories=form.cleaned_data["categories"])):
        messages.success(request, _("Vendor saved."))
        return redirect("vendors:vendor_detail", pk=vendor.pk)
    return _form_page(request, "vendors/vendor_form.html", {"form": form, "vendor": vendor})


# --- contacts --------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def vendor_contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    vendor = get_vendor(request, pk)
    form = ContactForm(request.POST or None, initial={"is_active": True, "is_primary": not vendor.contacts.exists()})
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.contact_save(
            actor=request.user, vendor=vendor, data=form.service_data())):
        messages.success(request, _("Contact added."))
        return redirect(reverse("vendors:vendor_detail", args=[vendor.pk]) + "#contacts")
    return _form_page(request, "vendors/contact_form.html", {"form": form, "vendor": vendor, "contact": None})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def vendorcontact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact: VendorContact = get_scoped_or_404(request, selectors.contacts_visible(actor=request.user),
                                               permission=Perm.VENDORS_VIEW, pk=pk)
    vendor = contact.vendor
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: services.contact_save(
            actor=request.user, vendor=vendor, contact=contact, data=form.service_data())):
        messages.success(request, _("Contact saved."))
        return redirect(reverse("vendors:vendor_detail", args=[vendor.pk]) + "#contacts")
    return _form_page(request, "vendors/contact_form.html", {"form": form, "vendor": vendor, "contact": contact})


# --- categories ------------------------------------------------------------------------------------------------


def _categories_page(request: HttpRequest, form: CategoryForm | None, *, status: int = 200) -> HttpResponse:
    may_manage = can(request.user, Perm.VENDORS_MANAGE)
    return render(request, "vendors/category_list.html", {
        "categories": list(selectors.vendor_categories()), "may_manage": may_manage,
        "form": (form or CategoryForm()) if may_manage else None,
    }, status=status)


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def vendor_categories(request: HttpRequest) -> HttpResponse:
    if export_format(request):
        return export_response(request, selectors.vendor_categories(), CATEGORY_EXPORT)
    return _categories_page(request, None)


@require_POST
@permission_required(Perm.VENDORS_MANAGE)
def vendor_category_create(request: HttpRequest) -> HttpResponse:
    form = CategoryForm(request.POST)
    if form.is_valid() and run_service(form, lambda: setup_services.category_create(
            actor=request.user, name=form.cleaned_data["name"])):
        messages.success(request, _("Category added."))
        return redirect("vendors:vendor_categories")
    return _categories_page(request, form, status=400)
