from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from .common import LocationRefOut


class ProviderOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 7, "first_name": "Priya", "last_name": "Raman", "credential": "MD", "kind": "physician",
         "npi": "1871629352", "taxonomy_code": "207Q00000X", "is_billing": False, "is_rendering": True,
         "is_active": True,
         "locations": [{"id": 1, "name": "Raleigh Main", "code": "ral"}, {"id": 2, "name": "Cary Office", "code": "cary"}]}]}}
    id: int
    first_name: str
    last_name: str
    credential: str
    kind: str
    npi: str
    taxonomy_code: str
    is_billing: bool
    is_rendering: bool
    is_active: bool
    locations: list[LocationRefOut]

    @staticmethod
    def resolve_locations(obj: Any) -> list[Any]:
        # Served from the selector's prefetch: no query per provider.
        return list(obj.locations.all())


class ProviderIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"first_name": "Marcus", "last_name": "Hale", "credential": "FNP", "kind": "np", "npi": "1548763022",
         "taxonomy_code": "363LF0000X", "locations": [2]}]}}
    first_name: str
    last_name: str
    credential: str = Field(description="MD, DO, DDS, NP, PA …")
    kind: str = Field(description="physician, dentist, nurse_practitioner, physician_assistant …")
    npi: str = Field(description="10 digits; the check digit is verified.")
    taxonomy_code: str = Field(description="NUCC taxonomy code, e.g. 207Q00000X.")
    is_billing: bool = False
    is_rendering: bool = True
    locations: list[int] = Field(min_length=1, description="Ids of the locations the provider works at.")


class ProviderPatchIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{"credential": "DO"}]}}
    first_name: str | None = None
    last_name: str | None = None
    credential: str | None = None
    kind: str | None = None
    npi: str | None = None
    taxonomy_code: str | None = None
    is_billing: bool | None = None
    is_rendering: bool | None = None
    locations: list[int] | None = Field(None, min_length=1)
