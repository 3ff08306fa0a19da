"""Every FHIR resource type served; importing this package registers them all."""

from . import patient  # noqa: F401
