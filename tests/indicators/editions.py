"""A second edition of the real catalogue, with one change of each crosswalk kind, made through the services.

From version 1: HC-01 reworded (same), HC-03 split into HC-03 and a new HC-09, VC-05 and VC-06
merged into VC-05, SP-07 new, DE-05 retired; every other indicator the same.
"""

from indicators import services
from indicators.models import CatalogueVersion, Indicator
from tests.factories import IndicatorFactory

SPLIT, MERGED, NEW, RETIRED = {"HC-03": ("HC-03", "HC-09")}, {"VC-05": ("VC-05", "VC-06")}, "SP-07", "DE-05"


def second_edition(first: CatalogueVersion, *, publish: bool = True) -> CatalogueVersion:
    draft = services.version_copy_to_draft(version=first)
    copies = {i.code: i for i in Indicator.objects.filter(version=draft).select_related("version", "dimension")}
    old = {i.code: i for i in Indicator.objects.filter(version=first)}

    copies["HC-01"].question_en = "Does a body of several departments meet regularly on migration?"
    copies["HC-01"].save(update_fields=["question_en"])

    services.indicator_crosswalk_set(indicator=copies["HC-03"], kind="split", predecessors=[old["HC-03"]])
    hc09 = IndicatorFactory(dimension=copies["HC-03"].dimension, code="HC-09", order=9, complete=True)
    services.indicator_crosswalk_set(indicator=hc09, kind="split", predecessors=[old["HC-03"]])

    services.indicator_crosswalk_set(
        indicator=copies["VC-05"], kind="merged", predecessors=[old["VC-05"], old["VC-06"]]
    )
    copies["VC-06"].delete()

    sp07 = IndicatorFactory(dimension=copies["SP-01"].dimension, code="SP-07", order=7, complete=True)
    services.indicator_crosswalk_set(indicator=sp07, kind="new", predecessors=[])

    copies["DE-05"].delete()
    services.version_retired_set(version=draft, indicators=[old["DE-05"]])
    return services.version_publish(version=draft) if publish else draft
