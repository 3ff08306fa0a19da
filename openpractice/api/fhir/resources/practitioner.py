"""Practitioner: the practice's providers (read, search by _id, name, family, given, identifier (NPI), active).

Visible to callers who see the schedule (schedule.view) at one of the provider's locations, like the provider list
page and /api/v1/providers. Referring providers (outside the practice) are not served here: they are practice-wide
reference data under other rules and would need ids of their own.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from openpractice.accounts.roles import Perm
from openpractice.scheduling.models import Provider
from openpractice.scheduling.selectors import provider_list

from ..base import ModelResourceType, register
from ..mapping import NPI_SYSTEM, coding, compact, human_name, identifier, meta, our_system
from ..search import choice_token, parse_int_id, string, token

NUCC_TAXONOMY_SYSTEM = "http://nucc.org/provider-taxonomy"
DEGREE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0360"
# Our credentials that HL7 table 0360 (degree/license/certificate) also knows; the others keep only our code.
DEGREE_CODES = frozenset({"MD", "DO", "NP", "PA"})
CREDENTIAL_SYSTEM = our_system("credential")


def npi_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", NPI_SYSTEM):
        return Q(pk__in=[])  # an identifier system we do not keep matches nobody
    return Q(npi=code)


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


@register
class PractitionerResource(ModelResourceType):
    name = "Practitioner"
    permissions = (Perm.SCHEDULE_VIEW,)
    ordering = ("last_name", "first_name", "pk")
    documentation = ("The practice's providers working at a location where the caller sees the schedule "
                     "(schedule.view). Qualifications: the credential (HL7 v2-0360 where it has one) and the NUCC "
                     "taxonomy code.")
    search_params = {
        "_id": token("_id", "The practitioner's id.", _id_codes),
        "name": string("name", ["first_name", "last_name"], "Any part of the name (starts with)."),
        "family": string("family", ["last_name"], "Family name (starts with)."),
        "given": string("given", ["first_name"], "Given name (starts with)."),
        "identifier": token("identifier", f"The individual NPI ({NPI_SYSTEM}|1234567893).", npi_codes),
        "active": choice_token("active", "true | false.", "is_active", {"true": [True], "false": [False]}),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return provider_list(actor=request.user)

    def to_resource(self, provider: Provider, request: HttpRequest) -> dict[str, Any]:
        return practitioner_resource(provider)


def practitioner_resource(provider: Provider) -> dict[str, Any]:
    credential = [coding(CREDENTIAL_SYSTEM, provider.credential, provider.get_credential_display())]
    if provider.credential in DEGREE_CODES:
        credential.insert(0, coding(DEGREE_SYSTEM, provider.credential))
    return compact({
        "resourceType": "Practitioner",
        "id": str(provider.pk),
        "meta": meta(provider.updated_at),
        "identifier": [identifier(NPI_SYSTEM, provider.npi, type_code="NPI")],
        "active": provider.is_active,
        "name": [human_name(provider.last_name, [provider.first_name]) | {"suffix": [provider.credential]}],
        "qualification": [
            {"code": {"coding": credential, "text": provider.credential}},
            {"code": {"coding": [coding(NUCC_TAXONOMY_SYSTEM, provider.taxonomy_code)]}},
        ],
    })
