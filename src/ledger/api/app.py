"""The HTTP application: lifespan, dependencies, error mapping, access log, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from ledger import __version__
from ledger.api.access_log import request_log
from ledger.api.approvals import approvals
from ledger.api.audit import AuditController
from ledger.api.auth import provide_actor, provide_tenancy
from ledger.api.board import board
from ledger.api.cases import CaseController
from ledger.api.contract import CentreSchema, Contract
from ledger.api.docs_pages import docs_asset, swagger_ui
from ledger.api.edge import check_request
from ledger.api.errors import EXCEPTION_HANDLERS
from ledger.api.exceptions import approval_proof
from ledger.api.health import health
from ledger.api.hotline_register import hotline_tickets
from ledger.api.metrics import MetricsController
from ledger.api.personal_data import personal_data
from ledger.api.ratings_register import bad_reviews
from ledger.api.reads import served_by
from ledger.api.telemetry import Telemetry, metrics
from ledger.api.tiles import LeafController, TilesController
from ledger.api.ui.format import FILTERS
from ledger.api.ui.pages import TEMPLATES
from ledger.api.ui.pages import router as ui_router
from ledger.api.unresolved_register import unresolved_reports
from ledger.application.service import Ledger
from ledger.application.timers import LedgerTimers
from ledger.config.settings import Settings
from ledger.domain.tenancy import Scope
from ledger.log.keys import load_signer
from ledger.log.notary import Notary, start_notary_thread
from ledger.log.witnesses import start_witnessing
from ledger.projections.base import Projection
from ledger.projections.waiter import PositionWaiter
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import migrate, open_database
from ledger.store.supervisor import DatabaseSupervisor


def _add_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(FILTERS)


def create_app(
    settings: Settings,
    ledger: Ledger | None = None,
    *,
    notary: bool | None = None,
    run_projections: bool | None = None,
    projections: Sequence[Projection | type[Projection]] | None = None,
    timers: bool | None = None,
) -> Litestar:
    """Build the app. Without a `ledger`, the lifespan opens the database, migrates and owns one,
    and (unless `notary=False` / `run_projections=False`) runs the notary and the projections
    (`projections`, default `ledger.projections.PROJECTIONS`) in threads, so one process is a
    whole ledger, and (unless `timers=False`) the timers (commitment breaches, default ratings).
    Every app listens for projected positions, so view reads can wait for them."""
    run_notary = ledger is None if notary is None else notary
    run_projectors = ledger is None if run_projections is None else run_projections
    run_timers = ledger is None if timers is None else timers
    # Only a process that runs the notary holds the private key.
    signer = load_signer(settings.notary_key_path, settings.origin) if run_notary else None

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = ledger is None
        if owned:
            database = open_database(settings)
            migrate(database)
            app.state.ledger = Ledger(settings, database)
        else:
            app.state.ledger = ledger
        conninfo = app.state.ledger.audit.conninfo
        app.state.supervisor = DatabaseSupervisor(
            app.state.ledger.database,
            every=settings.db_probe_every,
            connect_timeout=settings.db_connect_timeout,
        ).start()  # /health asks it; it restarts an embedded server that died
        app.state.supervisor.guard(app.state.ledger.store.datastore.pool)
        app.state.waiter = await anyio.to_thread.run_sync(
            PositionWaiter(conninfo, max_parked=settings.max_parked_waits).start
        )
        revocations = await anyio.to_thread.run_sync(app.state.ledger.watch_revocations)
        worker = ProjectionWorker(conninfo, projections).start() if run_projectors else None
        timer = LedgerTimers(app.state.ledger).start() if run_timers else None
        stop, witnessing = None, None
        if signer is not None:
            notary_conninfo = app.state.ledger.database.notary_conninfo
            _, stop = start_notary_thread(
                Notary(
                    notary_conninfo,
                    signer,
                    settings.origin,
                    checkpoint_every=settings.checkpoint_every,
                )
            )
            witnessing = start_witnessing(settings, notary_conninfo)
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(app.state.supervisor.close)  # restarts nothing now
            for event in (stop, witnessing):
                if event is not None:
                    event.set()
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)
            if timer is not None:
                await anyio.to_thread.run_sync(timer.stop)
            await anyio.to_thread.run_sync(app.state.waiter.close)
            await anyio.to_thread.run_sync(revocations.close)
            if owned:
                app.state.ledger.close()

    def provide_ledger(state: State) -> Ledger:
        return state.ledger  # type: ignore[no-any-return]

    def provide_waiter(state: State, tenancy: NamedDependency[Scope]) -> PositionWaiter:
        """After `tenancy`, for the chain `provide_tenancy` explains."""
        del tenancy
        return state.waiter  # type: ignore[no-any-return]

    telemetry = Telemetry()  # this app's own registry: GET /metrics
    app = Litestar(
        route_handlers=[
            CaseController,
            AuditController,
            TilesController,
            LeafController,
            board,
            approvals,
            hotline_tickets,
            unresolved_reports,
            bad_reviews,
            approval_proof,
            personal_data,
            MetricsController,
            health,
            metrics,
            docs_asset,
            ui_router(),
        ],
        dependencies={
            "ledger": Provide(provide_ledger, sync_to_thread=False),
            "waiter": Provide(provide_waiter, sync_to_thread=False),
            # On the event loop unless the revocation list must be read (`request_credential`).
            # One chain, ledger -> actor -> tenancy -> waiter (`provide_tenancy` says why).
            "actor": Provide(provide_actor),
            "tenancy": Provide(provide_tenancy, sync_to_thread=False),
        },
        lifespan=[lifespan, telemetry.watching],
        state=State({"telemetry": telemetry}),
        template_config=TemplateConfig(
            directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_add_filters
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=check_request,  # query parameters, media type, body: before any token
        plugins=[Contract(), CentreSchema.configured(settings)],
        request_max_body_size=settings.max_body_bytes,
        logging_config=None,  # logging is ledger.log's: JSON lines, configured once by the CLI
        openapi_config=OpenAPIConfig(
            title="Case Ledger",
            version=__version__,
            description="Event-sourced, tamper-evident case ledger for government service centres.",
            path="/schema",
            render_plugins=[swagger_ui()],  # offline: its assets from a package, no CDN
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
        ),
    )
    # Around the whole app, not per route: unknown paths and 405s get a request id and a line
    # too, and are counted.
    app.asgi_handler = request_log(telemetry.instrument(served_by(app.asgi_handler)))
    return app
