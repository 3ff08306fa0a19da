"""Organization: the practice ("practice-<id>", type prov) and the payers ("payer-<id>", type pay).

Two of our models behind one FHIR type, so the ids carry the kind and search/read are our own. The practice is
shown to callers with practice.view (as the practice page, which shows its EIN and group NPI), payers to callers
with payers.view; a caller holding one of them searches only that kind, and a read of the other kind answers 404
(the denial audited).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.http import HttpRequest

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.models import Practice
from openpractice.core.web import deny
from openpractice.patients.models import Payer
from openpractice.patients.selectors import payer_list

from ..base import ResourceType, register
from ..errors import FhirError
from ..mapping import (
    EIN_SYSTEM,
    NPI_SYSTEM,
    address,
    compact,
    concept,
    identifier,
    meta,
    our_system,
    telecom,
)
from ..search import Criteria, string, token

ORGANIZATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/organization-type"
PAYER_ID_SYSTEM = our_system("payer-id")
PRACTICE, PAYER = "practice", "payer"
# Our kinds and the FHIR organization-type code each one carries.
TYPE_OF_KIND = {PRACTICE: "prov", PAYER: "pay"}
ID_PATTERN = re.compile(r"(practice|payer)-([0-9]{1,18})")


def parse_organization_id(value: str, *, what: str = "id") -> tuple[str, int]:
    """("practice" | "payer", pk) from "practice-1" / "payer-12"."""
    match = ID_PATTERN.fullmatch(value.strip())
    if match is None:
        raise FhirError(400, "invalid", f"{what}: {value!r} is not an Organization id (practice-<n> or payer-<n>).",
                        expression=[what])
    return match.group(1), int(match.group(2))


# Search conditions are written over annotations both querysets carry (org_kind, org_npi, org_ein, org_payer_id,
# org_alias, org_active), so one Q filters the practice and the payers alike.

def _id_codes(system: str | None, code: str) -> Q:
    kind, pk = parse_organization_id(code, what="_id")
    return Q(org_kind=kind, pk=pk)


def _type_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", ORGANIZATION_TYPE_SYSTEM) or code not in TYPE_OF_KIND.values():
        raise FhirError(400, "invalid", f"Unknown type {code!r}; use prov (the practice) or pay (payers).",
                        expression=["type"])
    return Q(org_kind=PRACTICE if code == "prov" else PAYER)


def _ein(code: str) -> str:
    digits = re.sub(r"\D", "", code)
    return f"{digits[:2]}-{digits[2:]}" if len(digits) == 9 else code


def _identifier_codes(system: str | None, code: str) -> Q:
    by_system = {NPI_SYSTEM: Q(org_npi=code), EIN_SYSTEM: Q(org_ein=_ein(code)),
                 PAYER_ID_SYSTEM: Q(org_payer_id__iexact=code)}
    if system in (None, ""):
        return by_system[NPI_SYSTEM] | by_system[EIN_SYSTEM] | by_system[PAYER_ID_SYSTEM]
    return by_system.get(system, Q(pk__in=[]))  # an identifier system we do not keep matches nobody


@register
class OrganizationResource(ResourceType):
    name = "Organization"
    permissions = (Perm.PRACTICE_VIEW, Perm.PAYERS_VIEW)
    documentation = ("The practice (id practice-<n>, type prov; needs practice.view) and the payers (id payer-<n>, "
                     "type pay; needs payers.view). A search returns the kinds the caller may see, the practice "
                     "first, then payers by name.")
    search_params = {
        "_id": token("_id", "practice-<n> or payer-<n>.", _id_codes),
        "name": string("name", ["name", "org_alias"], "Name or legal name (starts with)."),
        "type": token("type", f"prov (the practice) or pay (payers) ({ORGANIZATION_TYPE_SYSTEM}).", _type_codes),
        "identifier": token("identifier", f"Group NPI ({NPI_SYSTEM}), EIN ({EIN_SYSTEM}) or electronic payer ID "
                                          f"({PAYER_ID_SYSTEM}).", _identifier_codes),
        "active": token("active", "true | false.", lambda system, code: _active_codes(code)),
    }

    # -- the two kinds -----------------------------------------------------------------------------------------

    def practices(self, request: HttpRequest) -> QuerySet[Practice]:
        # Annotated even when empty: the search conditions name the annotations.
        practices = Practice.objects.annotate(
            org_kind=Value(PRACTICE), org_npi=F("group_npi"), org_ein=F("ein"), org_payer_id=Value(""),
            org_alias=F("legal_name"), org_active=Value(True))
        return practices if can(request.user, Perm.PRACTICE_VIEW) else practices.none()

    def payers(self, request: HttpRequest) -> QuerySet[Payer]:
        return payer_list(actor=request.user).annotate(
            org_kind=Value(PAYER), org_npi=Value(""), org_ein=Value(""), org_payer_id=F("payer_id"),
            org_alias=Value(""), org_active=F("is_active"))

    def search(self, request: HttpRequest, criteria: Criteria) -> tuple[int, list[Any]]:
        condition = criteria.q()
        parts = [self.practices(request).filter(condition).order_by("pk"),
                 self.payers(request).filter(condition).order_by("name", "pk")]
        counts = [part.count() for part in parts]
        page: list[Any] = []
        skip, wanted = criteria.offset, criteria.count
        for part, count in zip(parts, counts, strict=True):
            if wanted <= len(page):
                break
            if skip >= count:
                skip -= count
                continue
            page += list(part[skip : skip + wanted - len(page)])
            skip = 0
        return sum(counts), page

    def read(self, request: HttpRequest, ident: str) -> Any:
        kind, pk = parse_organization_id(ident)
        if kind == PRACTICE:
            scoped: QuerySet[Any] = self.practices(request)
            model: type[Practice] | type[Payer] = Practice
            permission = Perm.PRACTICE_VIEW
        else:
            scoped, model, permission = self.payers(request), Payer, Perm.PAYERS_VIEW
        found = scoped.filter(pk=pk).first()
        if found is not None:
            return found
        if model.objects.filter(pk=pk).exists():
            raise deny(request, permission=permission, object_type=model._meta.label_lower, object_id=pk)
        raise FhirError(404, "not-found", f"Organization/{ident} is not known.")

    # -- mapping -----------------------------------------------------------------------------------------------

    def to_resource(self, obj: Practice | Payer, request: HttpRequest) -> dict[str, Any]:
        if isinstance(obj, Practice):
            return practice_resource(obj)
        return payer_resource(obj)


def _active_codes(code: str) -> Q:
    if code not in ("true", "false"):
        raise FhirError(400, "invalid", f"Unknown active {code!r}; use true or false.", expression=["active"])
    return Q(org_active=code == "true")


def _type(kind: str) -> list[dict[str, Any]]:
    code = TYPE_OF_KIND[kind]
    display = {"prov": "Healthcare Provider", "pay": "Payer"}[code]
    return [concept(ORGANIZATION_TYPE_SYSTEM, code, display)]


def practice_resource(practice: Practice) -> dict[str, Any]:
    identifiers = [identifier(EIN_SYSTEM, practice.ein, type_code="TAX")]
    if practice.group_npi:
        identifiers.insert(0, identifier(NPI_SYSTEM, practice.group_npi, type_code="NPI"))
    place = address(practice, use="work")
    return compact({
        "resourceType": "Organization",
        "id": f"{PRACTICE}-{practice.pk}",
        "meta": meta(practice.updated_at),
        "identifier": identifiers,
        "active": True,
        "type": _type(PRACTICE),
        "name": practice.name,
        "alias": [practice.legal_name] if practice.legal_name and practice.legal_name != practice.name else [],
        "telecom": [telecom("phone", practice.phone, "work")] if practice.phone else [],
        "address": [place] if place else [],
    })


def payer_resource(payer: Payer) -> dict[str, Any]:
    telecoms = [telecom("phone", payer.phone, "work")] if payer.phone else []
    if payer.portal_url:
        telecoms.append(telecom("url", payer.portal_url, "work"))
    place = address(payer, use="work")
    if place:
        place["type"] = "postal"  # the claims address
    return compact({
        "resourceType": "Organization",
        "id": f"{PAYER}-{payer.pk}",
        "meta": meta(payer.updated_at),
        "identifier": [identifier(PAYER_ID_SYSTEM, payer.payer_id)] if payer.payer_id else [],
        "active": payer.is_active,
        "type": _type(PAYER),
        "name": payer.name,
        "telecom": telecoms,
        "address": [place] if place else [],
    })

