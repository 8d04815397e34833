"""The catalogue API lists both editions with their crosswalk, and says so in its schema."""

import json

import pytest

from tests.indicators.editions import second_edition

pytestmark = pytest.mark.django_db

CATALOGUE = "/api/v1/catalogue/"


def test_the_catalogue_lists_both_editions_with_their_crosswalk(
    client, quito, catalogue, django_assert_max_num_queries
):
    edition = second_edition(catalogue)
    client.force_login(quito.editor)

    with django_assert_max_num_queries(11):
        response = client.get(CATALOGUE)

    assert response.status_code == 200
    second, first = response.json()["results"]
    assert (second["number"], second["based_on"], second["retired"]) == (edition.number, catalogue.number, ["DE-05"])
    assert (first["based_on"], first["retired"]) == (None, [])
    listed = {i["code"]: (i["kind"], i["derived_from"]) for d in second["dimensions"] for i in d["indicators"]}
    assert listed["HC-01"] == ("same", ["HC-01"])
    assert listed["HC-03"] == listed["HC-09"] == ("split", ["HC-03"])
    assert listed["VC-05"] == ("merged", ["VC-05", "VC-06"])
    assert listed["SP-07"] == ("new", [])
    assert "DE-05" not in listed and "VC-06" not in listed
    assert {(i["kind"], tuple(i["derived_from"])) for d in first["dimensions"] for i in d["indicators"]} == {(None, ())}
    # The dimension keeps its own kind beside the indicators' crosswalk kind.
    assert {d["kind"] for d in second["dimensions"]} == {"core", "supplementary"}


def test_the_schema_describes_the_crosswalk(client, quito):
    client.force_login(quito.editor)

    schema = json.loads(client.get("/api/v1/schema/?format=json").content)["components"]["schemas"]

    indicator = schema["Indicator"]["properties"]
    assert indicator["derived_from"]["type"] == "array"
    assert indicator["derived_from"]["items"]["type"] == "string"
    assert "CrosswalkKind" in json.dumps(indicator["kind"])
    assert schema["CrosswalkKind"]["enum"] == ["same", "split", "merged", "new", None]  # null: a first edition
    assert schema["CatalogueVersion"]["properties"]["retired"]["type"] == "array"
    assert "based_on" in schema["CatalogueVersion"]["properties"]
