"""Compliance: policies and acknowledgements, incidents and the breach notification clock (the HIPAA program)."""
