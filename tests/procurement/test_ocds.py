import copy
import datetime
import json
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from procurement.models import Tender
from procurement.services import bid_create, contract_create, tender_award, tender_transition
from roadmap_portal.accounts.models import Profile
from tests.demo_data import load_demo
from tests.factories import admin_user, user_with_role
from tests.helpers import assert_constant_queries
from tests.ocds_validation import STANDARD_DIR, validate_release_package

from .conftest import certified_supplier, make_world

URL = "/api/v1/ocds/releases/"
pytestmark = pytest.mark.django_db


def fetch(user, url=URL):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def assert_valid(package):
    result = validate_release_package(package)
    assert result["validation_errors"] == []
    assert result["additional_closed_codelist_values"] == {}
    assert result["invalid_extension"] == {}
    assert result["ok"]
    return result


def test_the_standard_ships_with_the_portal_with_every_codelist_it_names():
    schema = STANDARD_DIR / "schema"
    package = json.loads((schema / "release-package-schema.json").read_text())
    assert package["id"] == (
        "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"
    )
    named = set(re.findall(r'"codelist": "([^"]+)"', (schema / "release-schema.json").read_text()))
    shipped = {path.name for path in (schema / "codelists").glob("*.csv")}
    assert named and named <= shipped, sorted(named - shipped)
    assert "Apache License" in (STANDARD_DIR / "LICENSE").read_text()


def test_demo_package_validates():
    load_demo()
    package = fetch(admin_user())
    result = assert_valid(package)
    assert result["context"]["extensions"]["is_extended_schema"] is True
    ocids = [r["ocid"] for r in package["releases"]]
    assert len(ocids) == len(set(ocids))
    by_number = {r["tender"].get("roadmapPortal", {}).get("number"): r for r in package["releases"]}
    open_tender = by_number["ГТМ-2026-0415"]
    assert (
        open_tender["ocid"] == f"ocds-rmp001-tender-{Tender.objects.get(number='ГТМ-2026-0415').pk}"
    )
    assert open_tender["tender"]["status"] == "active"
    assert open_tender["tender"]["items"][0]["classification"] == {"scheme": "OKPD", "id": "28.14"}
    awarded = by_number["ТГ-2025-0117"]
    assert awarded["tag"] == ["tender", "award", "contract"]
    assert awarded["tender"]["status"] == "complete"
    assert awarded["contracts"][0]["awardID"] == awarded["awards"][0]["id"]
    item = awarded["awards"][0]["items"][0]
    assert item["classification"]["scheme"] == "OKPD"
    assert item["roadmapPortal"]["pipelineStage"] == "registered"
    assert item["roadmapPortal"]["registerEntry"]["number"] >= 1
    roles = {role for p in awarded["parties"] for role in p["roles"]}
    assert roles == {"buyer", "supplier", "tenderer"}
    # Direct purchases are processes of their own.
    assert any(r["tender"]["procurementMethod"] == "direct" for r in package["releases"])
    # A partner reads it too.
    partner = Profile.objects.get(user__username="partner").user
    assert_valid(fetch(partner))


def _generated(n_tenders):
    """``n_tenders`` tenders in every state, with bids, awards and contracts."""
    world = make_world()
    reviewer = user_with_role("reviewer", corporation=world.group)
    suppliers = [(world.supplier, world.offer)] + [
        certified_supplier(world.roadmap, world.body)[:2] for _ in range(2)
    ]
    members = [user_with_role("supplier", supplier=s) for s, _ in suppliers]
    tenders = [world.tender]
    for i in range(n_tenders - 1):
        tenders.append(
            Tender.objects.create(
                customer=world.subsidiary if i % 2 else world.group,
                number=f"GEN-{world.group.pk}-{i}",
                title=f"Generated tender {i}",
                categories=["28.14", "28.13.1"],
                published_on=timezone.localdate() - datetime.timedelta(days=3),
                deadline=timezone.localdate() + datetime.timedelta(days=20),
                estimated_value="1000000.00",
                status="open",
            )
        )
    for i, tender in enumerate(tenders):
        bids = [
            bid_create(user=m, tender_id=tender.pk, offer_ids=[offer.pk], price=1000 + i + k)
            for k, (m, (_, offer)) in enumerate(zip(members, suppliers, strict=True))
        ]
        if i % 4 == 0:
            tender_award(user=reviewer, tender_id=tender.pk, bid_id=bids[i % len(bids)].pk)
        elif i % 4 == 1:
            tender_transition(user=reviewer, tender_id=tender.pk, action="cancel")
        elif i % 4 == 2:
            tender_transition(user=reviewer, tender_id=tender.pk, action="close")
    for i in range(3):
        contract_create(
            user=reviewer,
            supplier=suppliers[i][0],
            customer=world.subsidiary,
            amount="250000.75",
            signed_on=datetime.date(2025, 5, 1 + i),
        )
    return world, reviewer


def test_generated_package_validates():
    world, reviewer = _generated(12)
    package = fetch(reviewer)
    assert_valid(package)
    assert len(package["releases"]) == 12 + 3
    statuses = {r["tender"]["status"] for r in package["releases"]}
    assert {"active", "complete", "cancelled"} <= statuses
    assert any(r["tag"] == ["tenderCancellation"] for r in package["releases"])
    amounts = [
        r["contracts"][0]["value"]["amount"] for r in package["releases"] if "contracts" in r
    ]
    assert 250000.75 in amounts


def test_the_package_is_dated_by_its_newest_release_and_reads_the_same_twice():
    _world, reviewer = _generated(3)
    package = fetch(reviewer)
    newest = max(datetime.datetime.fromisoformat(r["date"]) for r in package["releases"])
    assert datetime.datetime.fromisoformat(package["publishedDate"]) == newest
    assert fetch(reviewer) == package


def test_package_queries_do_not_grow():
    world = make_world()
    reviewer = user_with_role("reviewer", corporation=world.group)
    member = user_with_role("supplier", supplier=world.supplier)
    client = APIClient()
    client.force_authenticate(reviewer)

    def make(n):
        for _ in range(n):
            tender = Tender.objects.create(
                customer=world.subsidiary,
                number=f"Q-{Tender.objects.count()}",
                title="T",
                categories=["28.14"],
                published_on=timezone.localdate(),
                deadline=timezone.localdate() + datetime.timedelta(days=5),
                estimated_value="10.00",
                status="open",
            )
            bid = bid_create(user=member, tender_id=tender.pk, offer_ids=[world.offer.pk], price=5)
            tender_award(user=reviewer, tender_id=tender.pk, bid_id=bid.pk)

    client.get(URL)
    assert_constant_queries(make, lambda: client.get(URL))


def test_since_filters_on_updated():
    world, reviewer = _generated(4)
    old = timezone.now() - datetime.timedelta(days=10)
    Tender.objects.filter(pk=world.tender.pk).update(updated=old)
    world.tender.contracts.update(updated=old)
    today = timezone.localdate().isoformat()
    ocids = {r["ocid"] for r in fetch(reviewer, f"{URL}?since={today}")["releases"]}
    assert f"ocds-rmp001-tender-{world.tender.pk}" not in ocids
    assert len(ocids) == 3 + 3
    client = APIClient()
    client.force_authenticate(reviewer)
    assert client.get(f"{URL}?since=yesterday").status_code == 400


def test_ocid_prefix_is_a_setting(settings):
    settings.OCDS_OCID_PREFIX = "ocds-abc123-"
    world = make_world()
    package = fetch(user_with_role("reviewer", corporation=world.group))
    assert package["releases"][0]["ocid"] == f"ocds-abc123-tender-{world.tender.pk}"
    assert_valid(package)


def test_anonymous_gets_no_package():
    assert APIClient().get(URL).status_code == 401


def test_the_check_catches_invalid_packages():
    world, reviewer = _generated(2)
    package = fetch(reviewer)
    assert_valid(package)

    wrong_tag = copy.deepcopy(package)
    wrong_tag["releases"][0]["tag"] = ["tender", "bogus"]
    result = validate_release_package(wrong_tag)
    assert not result["ok"]
    assert "releases/tag" in result["additional_closed_codelist_values"]

    no_ocid = copy.deepcopy(package)
    del no_ocid["releases"][0]["ocid"]
    result = validate_release_package(no_ocid)
    assert not result["ok"]
    assert any("ocid" in str(e) for e in result["validation_errors"])

    wrong_status = copy.deepcopy(package)
    wrong_status["releases"][0]["tender"]["status"] = "open"
    assert validate_release_package(wrong_status)["additional_closed_codelist_values"]

    # The extension's schema applies: a pipeline stage it does not know is an error.
    bad_extension = copy.deepcopy(package)
    bad_extension["releases"][0]["tender"]["roadmapPortal"]["portalStatus"] = "pending"
    result = validate_release_package(bad_extension)
    assert not result["ok"]
    assert any("portalStatus" in str(e) for e in result["validation_errors"])


def test_extension_files_are_served():
    client = APIClient()
    for name in ("extension.json", "release-schema.json"):
        response = client.get(f"/api/v1/ocds/extension/{name}")
        assert response.status_code == 200
        assert response.json()
    assert client.get("/api/v1/ocds/extension/secrets.py").status_code == 404


def test_packages_page_by_links_next_and_every_page_validates():
    world, reviewer = _generated(5)
    whole = fetch(reviewer, f"{URL}?page_size=500")
    assert "links" not in whole and len(whole["releases"]) == 5 + 3

    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        package = fetch(reviewer, url)
        assert_valid(package)
        assert len(package["releases"]) <= 3
        seen += [r["ocid"] for r in package["releases"]]
        url = package.get("links", {}).get("next")
        pages += 1
    assert pages == 3
    assert seen == [r["ocid"] for r in whole["releases"]]
    # Tenders first, then direct contracts, each by id: a page may hold both.
    assert [o.split("-")[-2] for o in seen] == ["tender"] * 5 + ["contract"] * 3


def test_a_page_that_ends_exactly_with_the_tenders_leads_on_to_the_contracts():
    world, reviewer = _generated(2)
    first = fetch(reviewer, f"{URL}?page_size=2")
    assert [r["ocid"].split("-")[-2] for r in first["releases"]] == ["tender", "tender"]
    second = fetch(reviewer, first["links"]["next"])
    assert [r["ocid"].split("-")[-2] for r in second["releases"]] == ["contract", "contract"]
    third = fetch(reviewer, second["links"]["next"])
    assert len(third["releases"]) == 1 and "links" not in third


def test_since_takes_a_moment_and_paging_keeps_it():
    world, reviewer = _generated(3)
    Tender.objects.update(updated=timezone.now() - datetime.timedelta(hours=5))
    world.tender.contracts.update(updated=timezone.now() - datetime.timedelta(hours=5))
    moment = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    client = APIClient()
    client.force_authenticate(reviewer)
    response = client.get(URL, {"since": moment, "page_size": 2})
    assert response.status_code == 200
    package = response.json()
    assert [r["ocid"].split("-")[-2] for r in package["releases"]] == ["contract", "contract"]
    assert "since=" in package["links"]["next"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("cursor=garbage", "cursor"),
        ("cursor=tender-", "cursor"),
        ("cursor=bid-4", "cursor"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=many", "page_size"),
        ("since=1800-01-01", "since"),
    ],
)
def test_bad_paging_parameters_are_400_naming_the_parameter(query, field):
    world = make_world()
    client = APIClient()
    client.force_authenticate(user_with_role("reviewer", corporation=world.group))
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()
