"""The FHIR R4 facade at /fhir/r4/: read and search (and create, for Patient and Appointment) over the same data,
permissions and audit as the web interface and the REST API.

- `http.py`: authentication (personal API token or signed-in session), errors as OperationOutcome,
  `application/fhir+json` in and out;
- `search.py`: the search parameter types (string, token, date, reference) turned into ORM filters from an
  allowlist per resource type; unknown parameters are refused, never passed to the database;
- `base.py`: `ResourceType` (`ModelResourceType` for a type that is one model), one per FHIR resource type,
  registered in `REGISTRY`;
- `resources/`: the resource types, each mapping one of our models to FHIR;
- `bundle.py`, `capability.py`: search result Bundles with paging links, the CapabilityStatement;
- `views.py`, `urls.py`: the HTTP interactions.
"""
