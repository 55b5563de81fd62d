"""Migration 5: what the dashboard reads (bot/analytics/model.py), for SQLite and PostgreSQL.

The conversation rows gain the turn's channel, the state before it, its reply latency, its
outcome, the start of the conversation it belongs to and the actions it ran. Triggers on every
inserted row keep running totals beside them (per hour for traffic, latency and transitions;
per day for active users and searches; one row per conversation), so a dashboard page sums a
few thousand rows instead of scanning a month of turns. The totals are written in the turn's
own transaction: they never disagree with the rows. Rows written before this migration carry
no channel, conversation or outcome and are left out of the totals.

What a row counts as:
- a *message*: a turn of a conversation (``started`` set) that is not a fired state timeout;
- *active*: the sender of a message that day; *rate limited*: a row of type rate_limited;
- a *search*: a row whose meta has ``search`` (``query``, ``repo``, ``results``, ``ms``);
- its *cost*: meta ``llm.cost_usd``.
"""

from __future__ import annotations

from bot.analytics.buckets import case_sql

COLUMNS: tuple[str, ...] = (
    "ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE conversations ADD COLUMN state_before TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE conversations ADD COLUMN latency_ms {real}",
    "ALTER TABLE conversations ADD COLUMN outcome TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE conversations ADD COLUMN started {real}",
    "ALTER TABLE conversations ADD COLUMN actions TEXT NOT NULL DEFAULT ''",
    # a transcript: one conversation's rows in order
    "CREATE INDEX idx_conversations_run ON conversations (phone_number, started, timestamp)",
    # the funnel's misunderstood texts
    "CREATE INDEX idx_conversations_misunderstood ON conversations (timestamp, state_before) "
    "WHERE outcome = 'not_understood'",
)

TABLES: tuple[str, ...] = (
    """CREATE TABLE conversation_runs (
        id {serial} PRIMARY KEY{autoincrement},
        phone_number TEXT NOT NULL,
        started {real} NOT NULL,
        channel TEXT NOT NULL,
        last_at {real} NOT NULL,
        last_state TEXT NOT NULL,
        outcome TEXT NOT NULL,
        turns INTEGER NOT NULL,
        UNIQUE (phone_number, started)
    )""",
    "CREATE INDEX idx_runs_last_at ON conversation_runs (last_at)",
    """CREATE TABLE traffic_hourly (
        hour BIGINT NOT NULL,
        channel TEXT NOT NULL,
        messages INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        rate_limited INTEGER NOT NULL,
        cost_usd {real} NOT NULL,
        PRIMARY KEY (hour, channel)
    )""",
    """CREATE TABLE latency_hourly (
        hour BIGINT NOT NULL,
        channel TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        turns INTEGER NOT NULL,
        PRIMARY KEY (hour, channel, bucket)
    )""",
    """CREATE TABLE transitions_hourly (
        hour BIGINT NOT NULL,
        channel TEXT NOT NULL,
        state_before TEXT NOT NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL,
        turns INTEGER NOT NULL,
        PRIMARY KEY (hour, channel, state_before, state, outcome)
    )""",
    """CREATE TABLE users_daily (
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        kind TEXT NOT NULL,
        phone_number TEXT NOT NULL,
        PRIMARY KEY (day, channel, kind, phone_number)
    )""",
    """CREATE TABLE searches_daily (
        day BIGINT NOT NULL,
        repo TEXT NOT NULL,
        query TEXT NOT NULL,
        searches INTEGER NOT NULL,
        no_result INTEGER NOT NULL,
        total_ms {real} NOT NULL,
        max_ms {real} NOT NULL,
        PRIMARY KEY (day, repo, query)
    )""",
    """CREATE TABLE search_latency_daily (
        day BIGINT NOT NULL,
        repo TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        searches INTEGER NOT NULL,
        PRIMARY KEY (day, repo, bucket)
    )""",
)


def _upserts(hour: str, day: str, cost: str, search: dict[str, str]) -> list[tuple[str, str]]:
    """(condition, statement) run for each inserted row NEW; condition "" for always."""
    message = "(NEW.started IS NOT NULL AND NEW.outcome <> 'timeout')"
    turn = "NEW.started IS NOT NULL"
    latest = "excluded.last_at >= conversation_runs.last_at"
    return [
        (
            "",
            f"""INSERT INTO traffic_hourly
            (hour, channel, messages, errors, rate_limited, cost_usd)
            VALUES ({hour}, NEW.channel, CASE WHEN {message} THEN 1 ELSE 0 END,
                CASE WHEN NEW.outcome = 'error' THEN 1 ELSE 0 END,
                CASE WHEN NEW.message_type = 'rate_limited' THEN 1 ELSE 0 END, {cost})
            ON CONFLICT (hour, channel) DO UPDATE SET
                messages = traffic_hourly.messages + excluded.messages,
                errors = traffic_hourly.errors + excluded.errors,
                rate_limited = traffic_hourly.rate_limited + excluded.rate_limited,
                cost_usd = traffic_hourly.cost_usd + excluded.cost_usd""",
        ),
        (
            "NEW.latency_ms IS NOT NULL",
            f"""INSERT INTO latency_hourly (hour, channel, bucket, turns)
            VALUES ({hour}, NEW.channel, {case_sql("NEW.latency_ms")}, 1)
            ON CONFLICT (hour, channel, bucket) DO UPDATE SET
                turns = latency_hourly.turns + 1""",
        ),
        (
            turn,
            f"""INSERT INTO transitions_hourly
            (hour, channel, state_before, state, outcome, turns)
            VALUES ({hour}, NEW.channel, NEW.state_before, NEW.state, NEW.outcome, 1)
            ON CONFLICT (hour, channel, state_before, state, outcome) DO UPDATE SET
                turns = transitions_hourly.turns + 1""",
        ),
        (
            f"{message} OR NEW.message_type = 'rate_limited'",
            f"""INSERT INTO users_daily (day, channel, kind, phone_number)
            VALUES ({day}, NEW.channel,
                CASE WHEN NEW.message_type = 'rate_limited' THEN 'rate_limited' ELSE 'active' END,
                NEW.phone_number)
            ON CONFLICT (day, channel, kind, phone_number) DO NOTHING""",
        ),
        (
            turn,
            f"""INSERT INTO conversation_runs
            (phone_number, started, channel, last_at, last_state, outcome, turns)
            VALUES (NEW.phone_number, NEW.started, NEW.channel, NEW.timestamp, NEW.state,
                NEW.outcome, 1)
            ON CONFLICT (phone_number, started) DO UPDATE SET
                turns = conversation_runs.turns + 1,
                last_state = CASE WHEN {latest}
                    THEN excluded.last_state ELSE conversation_runs.last_state END,
                outcome = CASE WHEN {latest}
                    THEN excluded.outcome ELSE conversation_runs.outcome END,
                last_at = CASE WHEN {latest}
                    THEN excluded.last_at ELSE conversation_runs.last_at END""",
        ),
        (
            search["present"],
            f"""INSERT INTO searches_daily
            (day, repo, query, searches, no_result, total_ms, max_ms)
            VALUES ({day}, {search["repo"]}, {search["query"]}, 1,
                CASE WHEN {search["results"]} = 0 THEN 1 ELSE 0 END, {search["ms"]},
                {search["ms"]})
            ON CONFLICT (day, repo, query) DO UPDATE SET
                searches = searches_daily.searches + 1,
                no_result = searches_daily.no_result + excluded.no_result,
                total_ms = searches_daily.total_ms + excluded.total_ms,
                max_ms = CASE WHEN excluded.max_ms > searches_daily.max_ms
                    THEN excluded.max_ms ELSE searches_daily.max_ms END""",
        ),
        (
            search["present"],
            f"""INSERT INTO search_latency_daily (day, repo, bucket, searches)
            VALUES ({day}, {search["repo"]}, {case_sql(search["ms"])}, 1)
            ON CONFLICT (day, repo, bucket) DO UPDATE SET
                searches = search_latency_daily.searches + 1""",
        ),
    ]


def _sqlite_number(path: str) -> str:
    return (
        f"(CASE WHEN json_type(NEW.meta, '{path}') IN ('integer', 'real') "
        f"THEN json_extract(NEW.meta, '{path}') ELSE 0 END)"
    )


def _sqlite() -> tuple[str, ...]:
    search = {
        "present": "json_type(NEW.meta, '$.search.query') = 'text'",
        "query": "json_extract(NEW.meta, '$.search.query')",
        "repo": "COALESCE(json_extract(NEW.meta, '$.search.repo'), '')",
        "results": _sqlite_number("$.search.results"),
        "ms": _sqlite_number("$.search.ms"),
    }
    upserts = _upserts(
        "CAST(NEW.timestamp / 3600 AS INTEGER)",
        "CAST(NEW.timestamp / 86400 AS INTEGER)",
        _sqlite_number("$.llm.cost_usd"),
        search,
    )
    fill = {"real": "REAL", "serial": "INTEGER", "autoincrement": " AUTOINCREMENT"}
    triggers = tuple(
        f"CREATE TRIGGER analytics_{i} AFTER INSERT ON conversations "
        + (f"WHEN {when} " if when else "")
        + f"BEGIN {statement}; END"
        for i, (when, statement) in enumerate(upserts)
    )
    return (
        *(s.format(**fill) for s in COLUMNS),
        *(s.format(**fill) for s in TABLES),
        *triggers,
    )


def _pg_number(path: str) -> str:
    *parents, leaf = path.split(".")
    node = "NEW.meta" + "".join(f"->'{p}'" for p in parents)
    return (
        f"(CASE WHEN jsonb_typeof({node}->'{leaf}') = 'number' "
        f"THEN ({node}->>'{leaf}')::float8 ELSE 0 END)"
    )


def _postgres() -> tuple[str, ...]:
    search = {
        "present": "jsonb_typeof(NEW.meta->'search'->'query') = 'string'",
        "query": "NEW.meta->'search'->>'query'",
        "repo": "COALESCE(NEW.meta->'search'->>'repo', '')",
        "results": _pg_number("search.results"),
        "ms": _pg_number("search.ms"),
    }
    upserts = _upserts(
        "floor(NEW.timestamp / 3600)::bigint",
        "floor(NEW.timestamp / 86400)::bigint",
        _pg_number("llm.cost_usd"),
        search,
    )
    body = "\n".join(
        f"IF {when} THEN {statement}; END IF;" if when else f"{statement};"
        for when, statement in upserts
    )
    fill = {"real": "DOUBLE PRECISION", "serial": "BIGSERIAL", "autoincrement": ""}
    return (
        *(s.format(**fill) for s in COLUMNS),
        *(s.format(**fill) for s in TABLES),
        f"""CREATE FUNCTION analytics_rollups() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
        {body}
        RETURN NULL;
        END
        $body$""",
        "CREATE TRIGGER analytics_rollups AFTER INSERT ON conversations "
        "FOR EACH ROW EXECUTE FUNCTION analytics_rollups()",
    )


SQLITE = _sqlite()
POSTGRES = _postgres()


def purge_statements(cutoff: float) -> list[tuple[str, tuple[float | int]]]:
    """What ``purge_older_than(cutoff)`` also deletes: conversations that ended before it, and
    the totals of every whole hour (day) before it."""
    hour, day = int(cutoff // 3600), int(cutoff // 86400)
    return [
        ("DELETE FROM conversation_runs WHERE last_at < ?", (cutoff,)),
        *((f"DELETE FROM {t} WHERE hour < ?", (hour,)) for t in HOURLY),
        *((f"DELETE FROM {t} WHERE day < ?", (day,)) for t in DAILY),
    ]


HOURLY = ("traffic_hourly", "latency_hourly", "transitions_hourly")
DAILY = ("users_daily", "searches_daily", "search_latency_daily")
