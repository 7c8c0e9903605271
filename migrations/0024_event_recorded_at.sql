-- depends: 0023_revocation_notify
-- `GET /cases/{id}?as_of=` by index (issue 16; src/ledger/application/reads.py). The version a
-- case stood at when `as_of` was recorded is the one before its first event recorded later; this
-- index finds that event without reading the case's payloads. The recorded time is the event's
-- own `timestamp`, which the mapper writes first in every payload (`{"timestamp":"…Z",…`), so the
-- function reads it from the payload's first bytes: no JSON parse, no new column (stored events
-- cannot be updated to fill one), and the index covers every event already stored. A payload that
-- does not start that way gives NULL and the reader falls back to reading the case's events.
-- The function never raises (an insert must not fail on it). Building the index reads the whole
-- log once, at this migration. Re-runnable, like every migration here.

CREATE OR REPLACE FUNCTION ledger_event_recorded_at(state bytea) RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT CASE WHEN t ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)$'
                THEN t::timestamptz END
      FROM (SELECT encode(substring(state FROM 15 FOR 40), 'escape') AS head) h,
           LATERAL (SELECT CASE WHEN substring(state FROM 1 FOR 14) = '\x7b2274696d657374616d70223a22'::bytea
                                     AND position('"' IN h.head) > 0
                                THEN substring(h.head FROM 1 FOR position('"' IN h.head) - 1)
                           END AS t) s
$fn$;

CREATE INDEX IF NOT EXISTS ledger_events_recorded_idx
    ON ledger_events (originator_id, ledger_event_recorded_at(state)) INCLUDE (originator_version);
