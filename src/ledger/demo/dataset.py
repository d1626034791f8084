"""Deterministic demo data: the same scale and seed always give the same ledger."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ledger.application.ledger import Ledger
from ledger.demo.credit import CreditStory
from ledger.demo.evidence import EvidenceStory
from ledger.demo.recall import RecallStory
from ledger.demo.stock import DemoCast, StockStory
from ledger.domain.values import PartyRole, RiskClass, gs1_check_digit

SCALES: dict[str, dict[str, int]] = {
    "small": {"products": 12, "distributors": 3, "sub_distributors": 4, "hospitals": 8},
    "medium": {"products": 40, "distributors": 24, "sub_distributors": 20, "hospitals": 60},
    "large": {"products": 300, "distributors": 20, "sub_distributors": 60, "hospitals": 200},
}
LOTS = {"small": 36, "medium": 300, "large": 1200}

_DEVICES = (
    ("Coronary stent system", RiskClass.III, "each", None),
    ("Drug-eluting balloon catheter", RiskClass.III, "each", None),
    ("Hemodialysis blood line set", RiskClass.III, "set", None),
    ("Single-use infusion set", RiskClass.II, "each", None),
    ("IVD reagent kit, troponin I", RiskClass.II, "kit", (Decimal("2"), Decimal("8"))),
    ("IVD reagent kit, HbA1c", RiskClass.II, "kit", (Decimal("2"), Decimal("8"))),
    ("Surgical suture, absorbable", RiskClass.II, "box", (Decimal("0"), Decimal("25"))),
    ("Orthopaedic bone screw", RiskClass.III, "each", None),
    ("Examination gloves, nitrile", RiskClass.I, "box", None),
    ("Blood glucose test strips", RiskClass.II, "box", (Decimal("4"), Decimal("30"))),
)
_REGIONS = ("North China", "East China", "South China", "Central China", "Southwest", "Northeast")
_MANUFACTURERS = (
    ("MFR-HUAXIN", "Huaxin Medical Devices Co., Ltd."),
    ("MFR-ORION", "Orion Cardiovascular Ltd."),
    ("MFR-JIANKANG", "Jiankang Diagnostics Co., Ltd."),
)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo loaded."""

    scale: str
    seed: int
    products: int
    parties: int
    lots: int
    events: int


def load_demo(
    ledger: Ledger,
    *,
    scale: str = "small",
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Register the demo's master data, then receive lots and move them through the channel
    (see ``ledger.demo_stock``); call only on an empty ledger."""
    sizes = SCALES[scale]
    rng = random.Random(seed)
    step = progress or (lambda _n: None)
    parties = _register_parties(ledger, rng, sizes, step)
    products = _register_products(ledger, rng, sizes["products"], seed, step)
    cast = DemoCast(
        manufacturers=parties[PartyRole.MANUFACTURER],
        distributors=parties[PartyRole.DISTRIBUTOR],
        sub_distributors=parties[PartyRole.SUB_DISTRIBUTOR],
        hospitals=parties[PartyRole.HOSPITAL],
        products=products,
    )
    movements = StockStory(ledger, rng, cast, seed).run(LOTS[scale], step)
    movements += CreditStory(ledger, cast, seed).run()  # see ledger.demo_credit
    movements += EvidenceStory(ledger, cast, seed).run()  # see ledger.demo_evidence
    movements += RecallStory(ledger, cast, seed).run()  # see ledger.demo_recall
    registered = sum(len(codes) for codes in parties.values())
    return DemoSummary(
        scale, seed, len(products), registered, LOTS[scale], len(products) + registered + movements
    )


def _register_parties(
    ledger: Ledger, rng: random.Random, sizes: dict[str, int], step: Callable[[int], None]
) -> dict[PartyRole, list[str]]:
    codes: dict[PartyRole, list[str]] = {PartyRole.MANUFACTURER: []}
    for code, name in _MANUFACTURERS:
        ledger.master_data.register_party(
            code=code,
            name=name,
            role=PartyRole.MANUFACTURER,
            region=rng.choice(_REGIONS),
            recall_contact=f"qa@{code.lower()}.example.cn",
        )
        codes[PartyRole.MANUFACTURER].append(code)
        step(1)
    for role, count, prefix in (
        (PartyRole.DISTRIBUTOR, sizes["distributors"], "DIST"),
        (PartyRole.SUB_DISTRIBUTOR, sizes["sub_distributors"], "SUBD"),
        (PartyRole.HOSPITAL, sizes["hospitals"], "HOSP"),
    ):
        codes[role] = []
        for number in range(1, count + 1):
            region = rng.choice(_REGIONS)
            grade = rng.choice("AABBC") if role is not PartyRole.HOSPITAL else None
            kind = "Hospital" if role is PartyRole.HOSPITAL else "Medical Supply"
            ledger.master_data.register_party(
                code=f"{prefix}-{number:03d}",
                name=f"{region} {kind} No. {number}",
                role=role,
                region=region,
                grade=grade,
                recall_contact=f"recall@{prefix.lower()}{number:03d}.example.cn",
            )
            codes[role].append(f"{prefix}-{number:03d}")
            step(1)
    return codes


def _register_products(
    ledger: Ledger, rng: random.Random, count: int, seed: int, step: Callable[[int], None]
) -> list[tuple[str, bool]]:
    products = []
    for number in range(1, count + 1):
        device, risk, unit, storage = _DEVICES[(number - 1) % len(_DEVICES)]
        body = f"0690{seed % 1000:03d}{number:06d}"
        gtin = body + str(gs1_check_digit(body))
        ledger.master_data.register_product(
            gtin=gtin,
            name=f"{device}, model {rng.randint(100, 999)}",
            registration_certificate=f"国械注准2026{3 if risk is RiskClass.III else 2}{number:07d}",
            risk_class=risk,
            unit_of_use=unit,
            storage_min_celsius=storage[0] if storage else None,
            storage_max_celsius=storage[1] if storage else None,
            serialised=risk is RiskClass.III,
            company_prefix_length=7,
        )
        products.append((gtin, storage is not None))
        step(1)
    return products


def demo_size(scale: str) -> int:
    """How many steps the demo reports at this scale (for progress bars): one per master
    data record and one per lot followed."""
    sizes = SCALES[scale]
    return len(_MANUFACTURERS) + sum(sizes.values()) + LOTS[scale]
