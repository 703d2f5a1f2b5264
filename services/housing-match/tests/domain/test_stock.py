from datetime import date

import pytest

from housing_match.domain import (
    HousingKind,
    LooserThanKindError,
    ResidentMix,
    ResidentProfile,
    Site,
    SiteRules,
    Stock,
    Unit,
    UnitStatus,
)


def test_transitional_house_gets_the_rules_of_its_kind() -> None:
    rules = Site.of_kind("S1", "Overgangsbolig", HousingKind.TRANSITIONAL, "Strømsø").rules

    assert rules.drug_free and rules.excludes_active_use
    assert rules.min_age == 18
    assert rules.requires_individual_plan and rules.requires_crisis_plan
    assert rules.requires_day_activity and rules.requires_long_treatment
    assert rules.max_units == 10


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        (HousingKind.STAFFED, "staffed_24_7"),
        (HousingKind.STAFFED, "excludes_active_use"),
        (HousingKind.TEMPORARY, "no_mixing_use_and_recovery"),
        (HousingKind.CRISIS_BED, "known_users_only"),
    ],
)
def test_each_kind_has_its_typical_rule(kind: HousingKind, rule: str) -> None:
    assert getattr(SiteRules.for_kind(kind), rule) is True


def test_a_site_may_tighten_its_rules() -> None:
    site = Site.of_kind(
        "S1", "Akuttbolig", HousingKind.TEMPORARY, "Fjell", drug_free=True, min_age=23
    )

    assert site.rules.drug_free and site.rules.min_age == 23
    assert site.rules.no_mixing_use_and_recovery


@pytest.mark.parametrize(
    ("kind", "loosening"),
    [
        (HousingKind.TRANSITIONAL, {"drug_free": False}),
        (HousingKind.TRANSITIONAL, {"min_age": 16}),
        (HousingKind.TRANSITIONAL, {"max_units": 12}),
        (HousingKind.TRANSITIONAL, {"max_units": None}),
        (HousingKind.STAFFED, {"excludes_active_use": False}),
        (HousingKind.TEMPORARY, {"no_mixing_use_and_recovery": False}),
        (HousingKind.HOUSING_FIRST, {"max_heavy_needs": None}),
    ],
)
def test_a_site_may_not_relax_the_rules_of_its_kind(
    kind: HousingKind, loosening: dict[str, object]
) -> None:
    with pytest.raises(LooserThanKindError):
        Site.of_kind("S1", "Sted", kind, "Fjell", **loosening)


def test_a_site_built_directly_with_loose_rules_is_refused() -> None:
    with pytest.raises(LooserThanKindError):
        Site("S1", "Sted", "Fjell", SiteRules(kind=HousingKind.TRANSITIONAL))


def test_a_transitional_house_holds_at_most_ten_units_not_counting_retired_ones() -> None:
    house = Site.of_kind("S1", "Overgangsbolig", HousingKind.TRANSITIONAL, "Strømsø")
    ten = [Unit(f"U{i}", house) for i in range(10)]
    retired = Unit("U10", house, status=UnitStatus.RETIRED)

    assert len(Stock([*ten, retired]).units) == 11
    with pytest.raises(ValueError, match="more than its 10"):
        Stock([*ten, Unit("U10", house)])


def test_free_places_count_remaining_residents_and_status() -> None:
    site = Site.of_kind("S1", "Akuttbolig", HousingKind.TEMPORARY, "Fjell")

    assert Unit("U1", site, capacity=2, residents=(ResidentProfile(),)).free_places == 1
    assert Unit("U2", site, status=UnitStatus.OCCUPIED).free_places == 0
    assert Unit("U3", site, status=UnitStatus.RETIRED).free_places == 0
    assert Unit("U4", site, available_from=date(2024, 5, 1)).free_places == 1
    with pytest.raises(ValueError, match="more residents than capacity"):
        Unit("U5", site, residents=(ResidentProfile(), ResidentProfile()))


def test_stock_sums_residents_over_all_units_of_a_site() -> None:
    site = Site.of_kind("S1", "Akuttbolig", HousingKind.TEMPORARY, "Fjell")
    stock = Stock(
        [
            Unit(
                "U1",
                site,
                status=UnitStatus.OCCUPIED,
                residents=(ResidentProfile(True, False, True),),
            ),
            Unit("U2", site, capacity=2, residents=(ResidentProfile(False, True, False),)),
            Unit("U3", site),
        ]
    )

    assert stock.site_mix("S1") == ResidentMix(total=2, active_use=1, in_recovery=1, heavy_needs=1)
    assert [u.id for u in stock.offerable_units()] == ["U2", "U3"]


def test_stock_refuses_duplicate_units_and_two_versions_of_a_site() -> None:
    site = Site.of_kind("S1", "Akuttbolig", HousingKind.TEMPORARY, "Fjell")
    other = Site.of_kind("S1", "Akuttbolig", HousingKind.TEMPORARY, "Tangen")

    with pytest.raises(ValueError, match="unique"):
        Stock([Unit("U1", site), Unit("U1", site)])
    with pytest.raises(ValueError, match="two different ways"):
        Stock([Unit("U1", site), Unit("U2", other)])
