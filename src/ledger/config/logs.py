"""structlog as JSON lines on stdout; request-scoped fields come from contextvars.

The ledger's own lines go from structlog straight to stdout, encoded by msgspec: every append
logs at least two (the request's access line and the append's), and through the standard
library's logging (a LogRecord, a formatter, `json`) each cost about a tenth of an API worker's
CPU (py-spy, docs/PROFILE.md). Standard-library loggers (uvicorn, eventsourcing) still go through
`logging`, rendered the same way, and both write under the one handler's lock, so every line the
process prints is one whole JSON object.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import msgspec
import structlog

_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def error_text(error: BaseException, limit: int = 300) -> str:
    """An error's text for a log field: on one line (a driver's message spans several) and
    bounded, so one error cannot flood the log."""
    return " ".join(str(error).split())[:limit]


def _dumps(event: dict[str, Any], default: Any = None, **_: Any) -> str:
    """JSONRenderer's serializer: msgspec, with structlog's fallback (repr) for other types."""
    return msgspec.json.encode(event, enc_hook=default or repr).decode()


class LineLogger:
    """What structlog writes the ledger's lines through: one line per event to the handler's
    stream, under the handler's lock (so a line never interleaves with a `logging` one)."""

    def __init__(self, handler: logging.StreamHandler[Any], name: str) -> None:
        self.handler = handler
        self.name = name  # add_logger_name reads it

    def msg(self, line: str) -> None:
        self.handler.acquire()
        try:
            self.handler.stream.write(line + "\n")
            self.handler.flush()
        finally:
            self.handler.release()

    debug = info = warning = warn = error = critical = exception = fatal = failure = err = msg
    log = msg


def configure_logging(level: str = "info") -> None:
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)

    def logger_factory(*args: Any) -> LineLogger:
        return LineLogger(handler, str(args[0]) if args else "")

    structlog.configure(
        processors=[*_SHARED, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=logger_factory,
        cache_logger_on_first_use=True,
    )
