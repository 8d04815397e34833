"""The read-only JSON API, version 1 (filled in by indicators/api.py and assessments/api.py)."""

urlpatterns: list = []
