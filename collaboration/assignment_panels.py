"""The round page and home page sections about assignments (assessments.slots)."""
