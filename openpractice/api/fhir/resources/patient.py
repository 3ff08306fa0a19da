"""Patient: read, search (name, family, given, birthdate, identifier, gender, active, _id) and create.

Every patient returned is an audited read (patients.viewed, "fhir"). The SSN is never served. A merged record
links to the one it was merged into (`link.type = replaced-by`).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from pydantic import ValidationError as PydanticValidationError

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.patients import selectors, services
from openpractice.patients.models import Patient, Sex

from ..base import ModelResourceType, register
from ..errors import FhirError
from ..mapping import (
    ACCOUNT_NUMBER_SYSTEM,
    SYSTEM_BASE,
    address,
    compact,
    human_name,
    identifier,
    meta,
    reference,
    telecom,
)
from ..phi import audit_patients
from ..search import choice_token, date, parse_int_id, string, token

HOME_LOCATION_EXTENSION = f"{SYSTEM_BASE}/StructureDefinition/home-location"
GENDER_OF_SEX = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.X: "other", Sex.UNKNOWN: "unknown"}
SEX_OF_GENDER = {gender: sex for sex, gender in GENDER_OF_SEX.items()}


def _identifier_codes(system: str | None, code: str) -> Q:
    if system not in (None, "", ACCOUNT_NUMBER_SYSTEM):
        return Q(pk__in=[])  # an identifier system we do not keep matches nobody
    return Q(account_number__iexact=code)


def _id_codes(system: str | None, code: str) -> Q:
    return Q(pk=parse_int_id(code, what="_id"))


def _name_key(value: str) -> str:
    return value.strip().lower()


@register
class PatientResource(ModelResourceType):
    name = "Patient"
    permissions = (Perm.PATIENTS_DEMOGRAPHICS,)
    ordering = ("search_last_name", "search_first_name", "pk")
    supports_create = True
    documentation = ("Patients whose home location is one where the caller may see demographics. Every patient "
                     "returned is recorded in the audit trail. Create needs patients.edit_demographics; the home "
                     f"location comes from the extension {HOME_LOCATION_EXTENSION} (valueReference Location/id) "
                     "or, when the caller edits patients at one location only, that location. A possible duplicate "
                     "answers 409 unless the request has the header 'X-Confirm-Not-Duplicate: true'.")
    search_params = {
        "_id": token("_id", "The patient's id.", _id_codes),
        "name": string("name", ["first_name", "last_name", "middle_name"], "Any part of the name (starts with)."),
        "family": string("family", ["last_name"], "Family name (starts with)."),
        "given": string("given", ["first_name", "middle_name"], "Given names (starts with)."),
        "birthdate": date("birthdate", "date_of_birth", "Date of birth (eq, lt, le, gt, ge, ne).",
                          is_date_field=True),
        "identifier": token("identifier", f"The account number ({ACCOUNT_NUMBER_SYSTEM}|P0000123).",
                            _identifier_codes),
        "gender": choice_token("gender", "male | female | other | unknown.", "sex",
                               {gender: [sex] for sex, gender in GENDER_OF_SEX.items()}),
        "active": choice_token("active", "true: active and not merged; false: inactive or merged.", "is_active",
                               {"true": [True], "false": [False]}),
    }

    def scoped(self, request: HttpRequest) -> QuerySet[Any]:
        return selectors.patient_scoped(actor=request.user)

    def audit(self, objects: list[Any], request: HttpRequest) -> None:
        audit_patients(request.user, [(patient.pk, patient.home_location_id) for patient in objects])

    def to_resource(self, patient: Patient, request: HttpRequest) -> dict[str, Any]:
        telecoms = []
        if patient.phone_mobile:
            telecoms.append(telecom("phone", patient.phone_mobile, "mobile"))
        if patient.phone_home:
            telecoms.append(telecom("phone", patient.phone_home, "home"))
        if patient.email:
            telecoms.append(telecom("email", patient.email, "home"))
        contact = []
        if patient.emergency_contact_name:
            contact.append(compact({
                "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                              "code": "C", "display": "Emergency Contact"}],
                                  **({"text": patient.emergency_contact_relationship}
                                     if patient.emergency_contact_relationship else {})}],
                "name": {"text": patient.emergency_contact_name},
                "telecom": [telecom("phone", patient.emergency_contact_phone)]
                if patient.emergency_contact_phone else [],
            }))
        home = address(patient, use="home")
        return compact({
            "resourceType": "Patient",
            "id": str(patient.pk),
            "meta": meta(patient.updated_at),
            "extension": [{"url": HOME_LOCATION_EXTENSION,
                           "valueReference": reference("Location", patient.home_location_id)}],
            "identifier": [identifier(ACCOUNT_NUMBER_SYSTEM, patient.account_number, type_code="MR", use="usual")],
            "active": patient.is_active and patient.merged_into_id is None,
            "name": [human_name(patient.last_name, [patient.first_name, patient.middle_name])],
            "telecom": telecoms,
            "gender": GENDER_OF_SEX.get(patient.sex, "unknown"),  # type: ignore[call-overload]
            "birthDate": patient.date_of_birth.isoformat(),
            "address": [home] if home else [],
            "contact": contact,
            "communication": [{"language": {"text": patient.preferred_language}}]
            if patient.preferred_language else [],
            "link": [{"other": reference("Patient", patient.merged_into_id), "type": "replaced-by"}]
            if patient.merged_into_id else [],
        })

    # -- create ------------------------------------------------------------------------------------------------

    def create(self, body: dict[str, Any], request: HttpRequest) -> Patient:
        data = patient_data_from_fhir(body, request)
        confirm = request.headers.get("X-Confirm-Not-Duplicate", "").strip().lower() == "true"
        try:
            return services.patient_register(actor=request.user, data=data, confirm_not_duplicate=confirm)
        except services.PossibleDuplicates as duplicates:
            ids = ", ".join(f"Patient/{candidate.patient.pk}" for candidate in duplicates.candidates)
            raise FhirError(409, "duplicate", f"This patient may already be registered: {ids}. Send the header "
                                              "'X-Confirm-Not-Duplicate: true' to register anyway.") from None


def _validated(body: dict[str, Any]) -> Any:
    from fhir.resources.R4B.patient import Patient as FhirPatient

    try:
        return FhirPatient.model_validate(body)
    except PydanticValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise FhirError(400, "structure", f"Not a valid FHIR Patient: {where}: {first.get('msg')}",
                        expression=[where] if where else None) from None


def patient_data_from_fhir(body: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    """Our registration fields from a FHIR Patient (validated against the R4B model first)."""
    resource = _validated(body)
    names = [name for name in resource.name or [] if name.use in (None, "official", "usual")]
    if not names or not names[0].family or not names[0].given:
        raise ValidationError({"name": "Give the patient's family and given name (name[0].family, .given)."})
    if resource.birthDate is None:
        raise ValidationError({"birthDate": "Give the date of birth."})
    if not isinstance(resource.birthDate, datetime.date):
        raise ValidationError({"birthDate": "Give the full date of birth (YYYY-MM-DD)."})
    gender = resource.gender or "unknown"
    if gender not in SEX_OF_GENDER:
        raise ValidationError({"gender": "Use male, female, other or unknown."})
    given = [str(part) for part in names[0].given]
    data: dict[str, Any] = {
        "last_name": str(names[0].family), "first_name": given[0], "middle_name": " ".join(given[1:]),
        "date_of_birth": resource.birthDate, "sex": SEX_OF_GENDER[gender],
        "home_location": _home_location(resource, request),
    }
    addresses = resource.address or []
    if addresses:
        home = addresses[0]
        lines = [str(line) for line in home.line or []]
        data.update({"address_line1": lines[0] if lines else "", "address_line2": " ".join(lines[1:]),
                     "city": str(home.city or ""), "state": str(home.state or ""),
                     "postal_code": str(home.postalCode or "")})
    for point in resource.telecom or []:
        if point.system == "phone" and point.value:
            data.setdefault("phone_home" if point.use == "home" else "phone_mobile", str(point.value))
        elif point.system == "email" and point.value:
            data.setdefault("email", str(point.value))
    if resource.active is False:
        data["is_active"] = False
    return data


def _home_location(resource: Any, request: HttpRequest) -> Any:
    from openpractice.core.models import Location

    for extension in resource.extension or []:
        if extension.url == HOME_LOCATION_EXTENSION:
            ref = extension.valueReference.reference if extension.valueReference else ""
            kind, _slash, ident = (ref or "").rpartition("/")
            if kind != "Location" or not ident.isdigit():
                raise ValidationError({"extension": "The home location must be a reference to Location/<id>."})
            location = Location.objects.filter(pk=int(ident)).first()
            if location is None:
                raise ValidationError({"extension": "No such location."})
            return location
    editable = location_ids_where(request.user, Perm.PATIENTS_EDIT)
    if editable is not None and len(editable) == 1:
        return Location.objects.get(pk=next(iter(editable)))
    raise ValidationError({"extension": f"Say the patient's home location with the extension "
                                        f"{HOME_LOCATION_EXTENSION} (valueReference Location/<id>)."})
