from .pytest_plugin import _audit_trail_emptied_before_flush  # noqa: F401 - the fixture, for these tests
