-- depends: 0026_rating_tallies
-- A projection's failure record keeps no error message any more (src/ledger/projections/
-- failures.py, `describe_error`): the message could quote the event's values. PostgreSQL's
-- DETAIL quotes the whole failing row (an applicant's name, a mobile number), a class-22 message
-- the value, a parser its input; and the record reaches the anonymous /health, the 503 a reader
-- of any centre gets, the CLI and the log. A record now holds the SQLSTATE, the schema objects
-- the server named and where the error was raised.
--
-- Records written before this migration hold the message; their text is replaced here, since
-- there is no telling which of them quote a row. The class, the event's position and everything
-- else on the record stay, and the event itself is in the log for an operator with the right to
-- read it. Texts already in the new form are left as they are, so running this again changes
-- nothing (every migration here is re-runnable).

UPDATE ledger_projection_failures
SET error = 'not kept: recorded before migration 0027, its message could quote the event''s values'
WHERE error !~ '^(SQLSTATE [0-9A-Z]{5}|raised at |not kept: )';
