"""Request and response schemas, one In/Out pair per operation, grouped by area."""
