"""The public survey pages (filled by the survey helper)."""

urlpatterns: list = []
