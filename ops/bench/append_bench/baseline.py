"""(a) the baseline: a plain eventsourcing Application and Aggregate, with the library's defaults
(JSON transcoder, its own tables), seeded with 6-event aggregates."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from support.cases import CENTRE, CLERK, DEPARTMENT

from ledger.store.database import eventsourcing_env

SEED_BATCH = 100  # aggregates per seeding save


class Dossier(Aggregate):
    """A small plain aggregate: declarative events, default JSON transcoder."""

    @event("Opened")
    def __init__(self, centre: str, department: str) -> None:
        self.centre = centre
        self.department = department
        self.visits = 0

    @event("VisitRecorded")
    def record_visit(self, actor_id: str, ticket: str) -> None:
        self.visits += 1


class Baseline(Application[UUID]):
    name = "BenchBaseline"  # its own tables: benchbaseline_events

    def record_visit(self, dossier_id: UUID) -> None:
        dossier: Dossier = self.repository.get(dossier_id)
        dossier.record_visit(actor_id=CLERK.id, ticket="A-0001")
        self.save(dossier)


def baseline_env(owner_conninfo: str) -> dict[str, str]:
    # the same connection settings as the Ledger, and its default pool size
    return {**eventsourcing_env(owner_conninfo), "POSTGRES_POOL_SIZE": "8"}


def seed_baseline(app: Baseline, count: int) -> list[UUID]:
    """`count` dossiers of 6 events (Opened + 5 VisitRecorded), saved SEED_BATCH at a time."""
    ids: list[UUID] = []
    for start in range(0, count, SEED_BATCH):
        batch = []
        for _ in range(min(SEED_BATCH, count - start)):
            dossier = Dossier(centre=CENTRE, department=DEPARTMENT)
            for k in range(5):
                dossier.record_visit(actor_id=CLERK.id, ticket=f"A-{k:04d}")
            batch.append(dossier)
        app.save(*batch)
        ids.extend(d.id for d in batch)
    return ids
