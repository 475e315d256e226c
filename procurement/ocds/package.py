"""Tenders, awards and contracts as an OCDS 1.1 release package.

One ``ocid`` per tender (``OCDS_OCID_PREFIX`` + ``tender-<id>``); a contract signed
without a tender (a direct purchase) is a contracting process of its own
(``contract-<id>``). Register entries and pipeline stages go under ``roadmapPortal``
objects, defined by the extension in ``procurement/ocds/extension``.
"""

import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from certification.models import RegisterEntry

from ..choices import TenderStatus
from ..selectors import BIDS_CLOSED_STATUSES, tender_bid_period_over

EXTENSION_DIR = Path(__file__).resolve().parent / "extension"
EXTENSION_FILES = ("extension.json", "release-schema.json")

# The portal's tender status -> the closed tenderStatus codelist of OCDS 1.1.
TENDER_STATUS = {
    TenderStatus.ANNOUNCED: "planned",
    TenderStatus.OPEN: "active",
    TenderStatus.CLOSED: "active",
    TenderStatus.AWARDED: "complete",
    TenderStatus.CANCELLED: "cancelled",
}
# OKPD2 (OK 034-2014) is "OKPD" in the itemClassificationScheme codelist.
CLASSIFICATION_SCHEME = "OKPD"
CURRENCY = "RUB"


def ocid_for_tender(tender_id):
    return f"{settings.OCDS_OCID_PREFIX}tender-{tender_id}"


def ocid_for_direct_contract(contract_id):
    return f"{settings.OCDS_OCID_PREFIX}contract-{contract_id}"


def _amount(value):
    """A JSON number for a Decimal amount: an integer when whole, else the exact decimal
    rendered through float (kopecks survive for any amount under 10^13 rubles)."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _value(amount):
    return {"amount": _amount(amount), "currency": CURRENCY}


def _start_of(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min)).isoformat()


def _end_of(day):
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(23, 59, 59))
    ).isoformat()


def _end_of_moment(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def _stamp(moment):
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _org_id(inn):
    return f"RU-INN-{inn}"


class _Parties:
    """The parties of one release, each once, with the union of their roles."""

    def __init__(self):
        self._parties = {}

    def add(self, party_id, name, role, *, inn, extra=None):
        party = self._parties.get(party_id)
        if party is None:
            party = {
                "id": party_id,
                "name": name,
                "identifier": {"scheme": "RU-INN", "id": inn, "legalName": name},
                "roles": [],
            }
            if extra:
                party.update(extra)
            self._parties[party_id] = party
        if role not in party["roles"]:
            party["roles"].append(role)
        return {"id": party_id, "name": name}

    def corporation(self, corporation, role):
        return self.add(_org_id(corporation.inn), corporation.name, role, inn=corporation.inn)

    def supplier(self, supplier, role):
        extra = {
            "address": {"region": supplier.region.name, "countryName": "Russia"},
            "roadmapPortal": {
                "region": supplier.region.code,
                "verificationStatus": supplier.verification_status,
            },
        }
        return self.add(_org_id(supplier.inn), supplier.name, role, inn=supplier.inn, extra=extra)

    def as_list(self):
        return list(self._parties.values())


def _offer_item(offer):
    item = {
        "id": f"offer-{offer.pk}",
        "description": offer.name,
        "classification": {"scheme": CLASSIFICATION_SCHEME, "id": offer.okpd2},
        "roadmapPortal": {"offerId": offer.pk, "pipelineStage": offer.status},
    }
    if offer.unit:
        item["unit"] = {"name": offer.unit}
    entries = offer.active_entries
    if entries:
        entry = entries[0]
        record = {
            "number": entry.number,
            "includedOn": entry.included_on.isoformat(),
            "excludedOn": None,
            "certificate": None,
        }
        if entry.certificate is not None:
            record["certificate"] = {
                "number": entry.certificate.number,
                "body": entry.certificate.body.short_name,
                "validUntil": entry.certificate.valid_until.isoformat(),
                "status": entry.certificate.status,
            }
        item["roadmapPortal"]["registerEntry"] = record
    return item


def _award_and_contract(contract, parties, ocid_award_prefix):
    supplier_ref = parties.supplier(contract.supplier, "supplier")
    award_id = f"{ocid_award_prefix}award-{contract.pk}"
    award = {
        "id": award_id,
        "status": "active",
        "date": _start_of(contract.signed_on),
        "value": _value(contract.amount),
        "suppliers": [supplier_ref],
    }
    if contract.bid_id and contract.bid is not None:
        items = [_offer_item(o) for o in contract.bid.offers.all()]
        if items:
            award["items"] = items
    if contract.subject:
        award["title"] = contract.subject
    record = {
        "id": f"contract-{contract.pk}",
        "awardID": award_id,
        "status": "active",
        "value": _value(contract.amount),
        "dateSigned": _start_of(contract.signed_on),
    }
    if contract.number:
        record["title"] = contract.number
    if contract.subject:
        record["description"] = contract.subject
    return award, record


def _offers_prefetch(prefix, offers):
    return Prefetch(
        f"{prefix}offers",
        queryset=offers.select_related(None)
        .order_by("id")
        .prefetch_related(
            Prefetch(
                "register_entries",
                queryset=RegisterEntry.objects.filter(excluded_on__isnull=True)
                .select_related("certificate", "certificate__body")
                .order_by("-included_on", "-id"),
                to_attr="active_entries",
            )
        ),
    )


def tender_release(tender):
    """The tender's release. ``tender.bids`` must hold only the bids that may be published
    (``releases_querysets`` prefetches them so); none are named before the bid period ends."""
    ocid = ocid_for_tender(tender.pk)
    parties = _Parties()
    buyer = parties.corporation(tender.customer, "buyer")
    published = tender_bid_period_over(tender)
    bids = list(tender.bids.all()) if published else []
    contracts = list(tender.contracts.all())
    tenderers = [parties.supplier(bid.supplier, "tenderer") for bid in bids]
    section = {
        "id": str(tender.pk),
        "title": tender.title,
        "status": TENDER_STATUS[tender.status],
        "procurementMethod": "open",
        "mainProcurementCategory": "goods",
        "value": _value(tender.estimated_value),
        "tenderPeriod": {
            "startDate": _start_of(tender.published_on),
            "endDate": _end_of(tender.deadline),
        },
        "items": [
            {
                "id": str(n),
                "description": tender.title,
                "classification": {"scheme": CLASSIFICATION_SCHEME, "id": category},
            }
            for n, category in enumerate(tender.categories, start=1)
        ],
        "roadmapPortal": {
            "number": tender.number,
            "portalStatus": tender.status,
            "categories": list(dict.fromkeys(tender.categories)),
        },
    }
    if tender.description:
        section["description"] = tender.description
    if published:
        section["numberOfTenderers"] = len(bids)
    if tenderers:
        section["tenderers"] = tenderers
    awards, records = [], []
    for contract in contracts:
        award, record = _award_and_contract(contract, parties, "")
        awards.append(award)
        records.append(record)
    tag = ["tenderCancellation"] if tender.status == TenderStatus.CANCELLED else ["tender"]
    if awards:
        tag += ["award", "contract"]
    moments = [tender.updated, *(c.updated for c in contracts)]
    if published and tender.status not in BIDS_CLOSED_STATUSES:
        # The bidders appeared when the deadline passed: the release changed then.
        moments.append(_end_of_moment(tender.deadline))
    updated = max(moments)
    release = {
        "ocid": ocid,
        "id": f"{ocid}-{updated:%Y%m%dT%H%M%S%f}",
        "date": _stamp(updated),
        "tag": tag,
        "initiationType": "tender",
        "language": "ru",
        "buyer": buyer,
        "tender": section,
    }
    if awards:
        release["awards"] = awards
        release["contracts"] = records
    release["parties"] = parties.as_list()
    return release


def direct_contract_release(contract):
    ocid = ocid_for_direct_contract(contract.pk)
    parties = _Parties()
    buyer = parties.corporation(contract.customer, "buyer")
    award, record = _award_and_contract(contract, parties, "")
    return {
        "ocid": ocid,
        "id": f"{ocid}-{contract.updated:%Y%m%dT%H%M%S%f}",
        "date": _stamp(contract.updated),
        "tag": ["award", "contract"],
        "initiationType": "tender",
        "language": "ru",
        "buyer": buyer,
        "tender": {
            "id": f"direct-{contract.pk}",
            "status": "complete",
            "procurementMethod": "direct",
            "mainProcurementCategory": "goods",
        },
        "awards": [award],
        "contracts": [record],
        "parties": parties.as_list(),
    }


def releases_querysets(*, tenders, contracts, bids, offers, since=None):
    """The tenders and direct contracts to publish, with everything a release reads
    prefetched: a fixed number of queries however many there are.

    Each argument is the reader's scoped queryset (``*_visible_to``): what a release embeds,
    the awards and contracts of a tender, its bidders (``bids``: those that may be
    published) and the offers of a bid, is taken from them and from nowhere else."""
    contract_related = ("supplier", "supplier__region", "customer", "bid")
    scoped_contracts = (
        contracts.select_related(*contract_related)
        .prefetch_related(_offers_prefetch("bid__", offers))
        .order_by("id")
    )
    tenders = tenders.select_related("customer").prefetch_related(
        Prefetch("bids", queryset=bids.order_by("id")),
        Prefetch("contracts", queryset=scoped_contracts),
    )
    direct = scoped_contracts.filter(tender__isnull=True)
    if since is not None:
        changed_contract = contracts.filter(tender_id=OuterRef("pk"), updated__gte=since)
        # A tender whose deadline passed since then publishes its bidders: it changed.
        deadline_passed = Q(deadline__gte=timezone.localtime(since).date() - datetime.timedelta(1))
        deadline_passed &= Q(deadline__lt=timezone.localdate())
        tenders = tenders.filter(
            Q(updated__gte=since) | Q(Exists(changed_contract)) | deadline_passed
        )
        direct = direct.filter(updated__gte=since)
    return tenders.order_by("id"), direct.order_by("id")


TENDERS, DIRECT_CONTRACTS = "tender", "contract"


def releases_page(*, tenders, contracts, bids, offers, since=None, after=None, size=100):
    """Up to ``size`` releases after the position ``after``: tenders by id, then direct
    contracts by id. A position is ``(TENDERS or DIRECT_CONTRACTS, id)``; the answer is the
    releases and the position to continue from, or ``None`` after the last one.

    Keyset, not OFFSET: a deep page reads the primary key from its position on."""
    tenders, direct = releases_querysets(
        tenders=tenders, contracts=contracts, bids=bids, offers=offers, since=since
    )
    kind, last_id = after or (TENDERS, 0)
    releases, position = [], None
    if kind == TENDERS:
        rows = list(tenders.filter(pk__gt=last_id)[: size + 1])
        if len(rows) > size:
            rows = rows[:size]
            position = (TENDERS, rows[-1].pk)
        releases = [tender_release(t) for t in rows]
        last_id = 0
    if position is None:
        room = size - len(releases)
        rows = list(direct.filter(pk__gt=last_id)[: room + 1])
        if len(rows) > room:
            rows = rows[:room]
            position = (DIRECT_CONTRACTS, rows[-1].pk if rows else last_id)
        releases += [direct_contract_release(c) for c in rows]
    return releases, position


def _published(releases):
    """The package's date: its newest release's, so that the same releases make the same
    document (a conditional GET may then answer 304); today's start for an empty page."""
    moments = [datetime.datetime.fromisoformat(r["date"]) for r in releases if r.get("date")]
    if not moments:
        return _start_of(timezone.localdate())
    return _stamp(max(moments))


def release_package(*, releases, uri, extension_url, next_url=None):
    """An OCDS 1.1 release package around ``releases``; ``links.next`` (the convention OCDS
    1.2 adopted for paged packages) points to the following page when there is one."""
    package = {
        "uri": uri,
        "version": "1.1",
        "publishedDate": _published(releases),
        "publisher": {"name": settings.OCDS_PUBLISHER_NAME},
        "extensions": [extension_url],
        "releases": releases,
    }
    if next_url:
        package["links"] = {"next": next_url}
    return package
