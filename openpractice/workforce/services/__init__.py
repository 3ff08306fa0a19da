"""Workforce writes: `<entity>_<verb>(*, actor, ...)`, one transaction each, audited."""
