"""Writes for people and access, one module per topic: sessions and MFA (sign-in), users (invite, roles,
deactivate), tokens (personal API tokens)."""
