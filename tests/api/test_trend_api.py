"""An authority's trend in the API: the rounds of both catalogue editions, on a basis it names."""

import json

import pytest

from tests.indicators.editions import second_edition
from tests.world import make_city, validated_round

pytestmark = pytest.mark.django_db


def _trend(client, user, slug="quito"):
    client.force_login(user)
    return client.get(f"/api/v1/authorities/{slug}/trend/")


def test_on_one_edition_the_trend_is_the_snapshots_headlines(client, quito, reviewer, catalogue):
    first, second = validated_round(quito, reviewer, "2023", 1), validated_round(quito, reviewer, "2025", 3)

    response = _trend(client, quito.editor)

    assert response.status_code == 200
    body = response.json()
    assert body["basis"] == {"kind": "same_edition", "editions": [1], "compared": [], "left_out": []}
    assert [(p["round"], p["period"], p["edition"]) for p in body["points"]] == [
        (first.pk, "2023", 1),
        (second.pk, "2025", 1),
    ]
    assert [p["index"] for p in body["points"]] == [
        float(first.snapshot.validated_headline),
        float(second.snapshot.validated_headline),
    ]


def test_across_editions_the_trend_names_its_basis_what_it_compares_and_leaves_out(
    client, quito, reviewer, catalogue, django_assert_max_num_queries
):
    first = validated_round(quito, reviewer, "2023", 1)
    second_edition(catalogue)
    second = validated_round(quito, reviewer, "2025", 3)
    assert (first.version.number, second.version.number) == (1, 2)

    client.force_login(quito.approver)
    # Session, user, permissions, the snapshots, the rounds, 3 for the crosswalk, 5 for the rounds' answers.
    with django_assert_max_num_queries(16):
        response = client.get("/api/v1/authorities/quito/trend/")

    body = response.json()
    assert body["basis"]["kind"] == "comparable" and body["basis"]["editions"] == [1, 2]
    assert {"code": "SP-07", "edition": 2, "reason": "new"} in body["basis"]["left_out"]
    assert {"code": "DE-05", "edition": 1, "reason": "retired"} in body["basis"]["left_out"]
    split = [c for c in body["basis"]["compared"] if c["kind"] == "split"]
    assert split == [
        {"dimension": "HC", "kind": "split", "first": ["HC-03"], "second": ["HC-03", "HC-09"], "editions": [1, 2]}
    ]
    assert [p["edition"] for p in body["points"]] == [1, 2]
    # On the comparable basis the scores differ from the ordinary ones where something was left out (DE, SP).
    assert body["points"][0]["scores"].keys() == body["points"][1]["scores"].keys()


def test_another_citys_people_and_strangers_get_no_trend(client, quito, reviewer, catalogue):
    validated_round(quito, reviewer, "2023", 2)
    naga = make_city("naga")

    assert _trend(client, naga.editor).status_code == 404
    assert _trend(client, quito.editor, slug="naga").status_code == 404  # no validated round
    assert _trend(client, reviewer).status_code == 200  # reviewers see every submitted round
    client.logout()
    assert client.get("/api/v1/authorities/quito/trend/").status_code in (401, 403)


def test_the_schema_describes_the_trend_and_its_basis(client, quito):
    client.force_login(quito.editor)

    schema = json.loads(client.get("/api/v1/schema/?format=json").content)
    assert "/api/v1/authorities/{slug}/trend/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert set(components["Trend"]["properties"]) == {"authority", "basis", "points"}
    assert set(components["TrendBasis"]["properties"]) == {"kind", "editions", "compared", "left_out"}
    assert set(components["TrendPoint"]["properties"]) == {"round", "period", "edition", "index", "scores"}
