"""Concurrent appends: one chain, one order, no position given twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise

from api.bootstrap import build_ledger
from conftest import stored_rows, valid_gtin
from ledger.application.ledger import Ledger
from ledger.domain.errors import AlreadyRegistered
from ledger.domain.product import Product
from ledger.domain.values import Gtin, RiskClass
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.verify import verify_chain

WRITERS = 4
COMMANDS_PER_WRITER = 15
BATCH = 3


def run_together(workers: list[Callable[[], None]]) -> None:
    """Start every worker at the same moment; re-raise the first failure."""
    start = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    if failures:
        raise failures[0]


def product(number: int) -> Product:
    return Product.register(
        gtin=Gtin.parse(valid_gtin(number)),
        name=f"Hemodialysis blood line set, model {number}",
        registration_certificate=f"NMPA-2026-3-{number:05d}",
        risk_class=RiskClass.III,
        unit_of_use="set",
        storage_min_celsius=Decimal("5"),
        storage_max_celsius=Decimal("30"),
    )


def writer(app: Ledger, writer_number: int) -> Callable[[], None]:
    """Alternate one-event commands and batches of several events."""

    def work() -> None:
        base = writer_number * 10_000
        for command in range(COMMANDS_PER_WRITER):
            number = base + command * BATCH
            if command % 2:
                app.save(*[product(number + offset) for offset in range(BATCH)])
            else:
                app.save(product(number))

    return work


def expected_events() -> int:
    odd = COMMANDS_PER_WRITER // 2
    return WRITERS * ((COMMANDS_PER_WRITER - odd) + odd * BATCH)


def assert_one_clean_chain(database: Database) -> None:
    rows = stored_rows(database)
    positions = [row[0] for row in rows]
    report = verify_chain(database)

    assert report.ok, report.findings[:3]
    assert report.events == len(rows) == expected_events()
    assert len(set(positions)) == len(positions)
    assert positions == sorted(positions)
    # The chain trigger draws positions under the append lock: position order is the
    # order in which events were recorded.
    assert all(a[5] <= b[5] for a, b in pairwise(rows))
    assert len({(row[1], row[2]) for row in rows}) == len(rows)


def test_writers_with_their_own_applications_appending_at_once_build_one_valid_chain(
    database: Database,
) -> None:
    apps = [build_ledger(Settings(pool_size=1), database) for _ in range(WRITERS)]
    try:
        run_together([writer(app, number) for number, app in enumerate(apps)])
    finally:
        for app in apps:
            app.close()

    assert_one_clean_chain(database)


def test_threads_sharing_one_application_and_its_pool_build_one_valid_chain(
    database: Database, ledger: Ledger
) -> None:
    run_together([writer(ledger, number) for number in range(WRITERS)])

    assert_one_clean_chain(database)


def test_two_writers_racing_to_register_the_same_products_register_each_once(
    database: Database,
) -> None:
    apps = [build_ledger(Settings(pool_size=1), database) for _ in range(2)]
    refused: list[int] = []

    def work(app: Ledger) -> Callable[[], None]:
        def register_all() -> None:
            for number in range(1, 11):
                try:
                    app.master_data.register_product(
                        gtin=valid_gtin(number),
                        name=f"Orthopaedic bone screw {number}",
                        registration_certificate=f"NMPA-2026-3-{number:05d}",
                        risk_class=RiskClass.III,
                        unit_of_use="each",
                    )
                except AlreadyRegistered:
                    refused.append(number)

        return register_all

    try:
        run_together([work(app) for app in apps])
    finally:
        for app in apps:
            app.close()

    rows = stored_rows(database)
    assert len(rows) == 10
    assert sorted(refused) == list(range(1, 11))
    assert verify_chain(database).ok


def test_verifying_while_writers_append_always_sees_an_intact_prefix_of_the_chain(
    database: Database,
) -> None:
    apps = [build_ledger(Settings(pool_size=1), database) for _ in range(WRITERS)]
    done = threading.Event()
    reports = []

    def verify_until_done() -> None:
        while not done.is_set():
            reports.append(verify_chain(database))

    def write_then_stop(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            finally:
                finished.append(1)
                if len(finished) == WRITERS:
                    done.set()

        return run

    finished: list[int] = []
    try:
        run_together(
            [verify_until_done]
            + [write_then_stop(writer(app, number)) for number, app in enumerate(apps)]
        )
    finally:
        done.set()
        for app in apps:
            app.close()

    assert reports
    assert all(report.ok for report in reports), [r.findings[:2] for r in reports if not r.ok]
    assert [report.events for report in reports] == sorted(report.events for report in reports)
    assert_one_clean_chain(database)
