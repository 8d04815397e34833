"""The migration that adds crosswalk kinds gives existing indicators theirs, from what they recorded before."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("indicators", "0004_justification_level_and_threads")]
AFTER = [("indicators", "0006_crosswalk_constraints")]


@pytest.mark.django_db(transaction=True)
def test_existing_indicators_get_their_kind_from_derived_from():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        Framework, Version = old.get_model("indicators", "Framework"), old.get_model("indicators", "CatalogueVersion")
        Dimension, Indicator = old.get_model("indicators", "Dimension"), old.get_model("indicators", "Indicator")
        framework = Framework.objects.create(slug="old", name="Old")
        first = Version.objects.create(framework=framework, number=1, label="v1")
        second = Version.objects.create(framework=framework, number=2, label="v2", based_on=first)

        def indicator(version, code, derived_from=None):
            dimension, _ = Dimension.objects.get_or_create(version=version, code="HC", defaults={"name": "HC"})
            return Indicator.objects.create(version=version, dimension=dimension, code=code, derived_from=derived_from)

        a, b = indicator(first, "A"), indicator(first, "B")
        indicator(first, "C")
        indicator(second, "A", a)  # the only one derived from A: the same
        indicator(second, "B1", b)  # two derived from B: a split
        indicator(second, "B2", b)
        indicator(second, "N")  # nothing before it, in a version based on another: new

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)

        new = executor.loader.project_state(AFTER).apps.get_model("indicators", "Indicator")
        later = new.objects.filter(version__framework__slug="old", version__number=2)
        kinds = dict(later.values_list("code", "crosswalk"))
        assert kinds == {"A": "same", "B1": "split", "B2": "split", "N": "new"}
        first_edition = new.objects.filter(version__framework__slug="old", version__number=1)
        assert set(first_edition.values_list("crosswalk", flat=True)) == {""}  # a first edition has no kind
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
