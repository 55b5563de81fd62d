"""Migration 5: what the dashboard reads (bot/analytics/model.py), for SQLite and PostgreSQL.

The conversation rows gain the turn's channel, the state before it, its reply latency, its
outcome, the start of the conversation it belongs to and the actions it ran. Triggers on every
inserted row keep running totals beside them (per hour for traffic; per day for latency,
transitions, where conversations stopped, active users and searches; per week for active users;
one row per conversation), so a dashboard page sums a few thousand rows instead of scanning a
month of turns. The totals are written in the turn's own transaction: they never disagree with
the rows. Rows written before this migration carry
no channel, conversation or outcome and are left out of the totals.

What a row counts as:
- a *message*: a turn of a conversation (``started`` set) that is not a fired state timeout;
- *active*: the sender of a message that day (and week); *rate limited*: a row of type
  rate_limited;
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
    # the funnel's misunderstood texts, read from the index alone
    "CREATE INDEX idx_conversations_misunderstood "
    "ON conversations (timestamp, channel, state_before, message) "
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
    # the conversations page, its filters and counts, read from the index alone
    "CREATE INDEX idx_runs_last_at ON conversation_runs (last_at, channel, last_state, outcome)",
    """CREATE TABLE traffic_hourly (
        hour BIGINT NOT NULL,
        channel TEXT NOT NULL,
        messages INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        rate_limited INTEGER NOT NULL,
        cost_usd {real} NOT NULL,
        PRIMARY KEY (hour, channel)
    ){without_rowid}""",
    """CREATE TABLE latency_daily (
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        turns INTEGER NOT NULL,
        PRIMARY KEY (day, channel, bucket)
    ){without_rowid}""",
    """CREATE TABLE transitions_daily (
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        state_before TEXT NOT NULL,
        state TEXT NOT NULL,
        outcome TEXT NOT NULL,
        turns INTEGER NOT NULL,
        PRIMARY KEY (day, channel, state_before, state, outcome)
    ){without_rowid}""",
    # conversations by the day and state of their last turn (moved as they go on)
    """CREATE TABLE stops_daily (
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        state TEXT NOT NULL,
        conversations INTEGER NOT NULL,
        PRIMARY KEY (day, channel, state)
    ){without_rowid}""",
    # who was active (or rate limited) each day and week: each sender once...
    """CREATE TABLE users_daily (
        kind TEXT NOT NULL,
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        phone_number TEXT NOT NULL,
        PRIMARY KEY (kind, day, channel, phone_number)
    ){without_rowid}""",
    """CREATE TABLE users_weekly (
        week BIGINT NOT NULL,
        channel TEXT NOT NULL,
        phone_number TEXT NOT NULL,
        PRIMARY KEY (week, channel, phone_number)
    ){without_rowid}""",
    # ...and how many, counted as each first appears
    """CREATE TABLE active_daily (
        day BIGINT NOT NULL,
        channel TEXT NOT NULL,
        users INTEGER NOT NULL,
        PRIMARY KEY (day, channel)
    ){without_rowid}""",
    """CREATE TABLE active_weekly (
        week BIGINT NOT NULL,
        channel TEXT NOT NULL,
        users INTEGER NOT NULL,
        PRIMARY KEY (week, channel)
    ){without_rowid}""",
    """CREATE TABLE searches_daily (
        day BIGINT NOT NULL,
        repo TEXT NOT NULL,
        query TEXT NOT NULL,
        searches INTEGER NOT NULL,
        no_result INTEGER NOT NULL,
        total_ms {real} NOT NULL,
        max_ms {real} NOT NULL,
        PRIMARY KEY (day, repo, query)
    ){without_rowid}""",
    """CREATE TABLE search_latency_daily (
        day BIGINT NOT NULL,
        repo TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        searches INTEGER NOT NULL,
        PRIMARY KEY (day, repo, bucket)
    ){without_rowid}""",
)

# (table, event, condition or "", statement): what each write to a table adds to the totals.
Trigger = tuple[str, str, str, str]


def _count(table: str, key: str, values: str, column: str, by: str) -> str:
    return f"""INSERT INTO {table} ({key}, {column}) VALUES ({values}, {by})
            ON CONFLICT ({key}) DO UPDATE SET {column} = {table}.{column} + excluded.{column}"""


def _triggers(hour: str, day: str, cost: str, search: dict[str, str]) -> list[Trigger]:
    """``hour``/``day`` are expressions of a timestamp column ``{t}``."""
    h, d = hour.format(t="NEW.timestamp"), day.format(t="NEW.timestamp")
    message = "(NEW.started IS NOT NULL AND NEW.outcome <> 'timeout')"
    turn = "NEW.started IS NOT NULL"
    latest = "excluded.last_at >= conversation_runs.last_at"
    kind = "CASE WHEN NEW.message_type = 'rate_limited' THEN 'rate_limited' ELSE 'active' END"
    moved = day.format(t="OLD.last_at") + " <> " + day.format(t="NEW.last_at")
    stop = "day, channel, state"
    was = f"({day.format(t='OLD.last_at')}, OLD.channel, OLD.last_state)"
    now = f"({day.format(t='NEW.last_at')}, NEW.channel, NEW.last_state)"
    changed = f"{moved} OR OLD.last_state <> NEW.last_state"
    leave = _count("stops_daily", stop, was[1:-1], "conversations", "-1")
    arrive = _count("stops_daily", stop, now[1:-1], "conversations", "1")
    return [
        ("conversations", "INSERT", "", f"""INSERT INTO traffic_hourly
            (hour, channel, messages, errors, rate_limited, cost_usd)
            VALUES ({h}, NEW.channel, CASE WHEN {message} THEN 1 ELSE 0 END,
                CASE WHEN NEW.outcome = 'error' THEN 1 ELSE 0 END,
                CASE WHEN NEW.message_type = 'rate_limited' THEN 1 ELSE 0 END, {cost})
            ON CONFLICT (hour, channel) DO UPDATE SET
                messages = traffic_hourly.messages + excluded.messages,
                errors = traffic_hourly.errors + excluded.errors,
                rate_limited = traffic_hourly.rate_limited + excluded.rate_limited,
                cost_usd = traffic_hourly.cost_usd + excluded.cost_usd"""),
        ("conversations", "INSERT", "NEW.latency_ms IS NOT NULL", _count(
            "latency_daily", "day, channel, bucket",
            f"{d}, NEW.channel, {case_sql('NEW.latency_ms')}", "turns", "1")),
        ("conversations", "INSERT", turn, _count(
            "transitions_daily", "day, channel, state_before, state, outcome",
            f"{d}, NEW.channel, NEW.state_before, NEW.state, NEW.outcome", "turns", "1")),
        ("conversations", "INSERT", f"{message} OR NEW.message_type = 'rate_limited'",
            f"""INSERT INTO users_daily (kind, day, channel, phone_number)
            VALUES ({kind}, {d}, NEW.channel, NEW.phone_number)
            ON CONFLICT (kind, day, channel, phone_number) DO NOTHING"""),
        ("conversations", "INSERT", message,
            f"""INSERT INTO users_weekly (week, channel, phone_number)
            VALUES (({d} + 3) / 7, NEW.channel, NEW.phone_number)
            ON CONFLICT (week, channel, phone_number) DO NOTHING"""),
        ("conversations", "INSERT", turn, f"""INSERT INTO conversation_runs
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
                    THEN excluded.last_at ELSE conversation_runs.last_at END"""),
        ("conversations", "INSERT", search["present"], f"""INSERT INTO searches_daily
            (day, repo, query, searches, no_result, total_ms, max_ms)
            VALUES ({d}, {search["repo"]}, {search["query"]}, 1,
                CASE WHEN {search["results"]} = 0 THEN 1 ELSE 0 END, {search["ms"]},
                {search["ms"]})
            ON CONFLICT (day, repo, query) DO UPDATE SET
                searches = searches_daily.searches + 1,
                no_result = searches_daily.no_result + excluded.no_result,
                total_ms = searches_daily.total_ms + excluded.total_ms,
                max_ms = CASE WHEN excluded.max_ms > searches_daily.max_ms
                    THEN excluded.max_ms ELSE searches_daily.max_ms END"""),
        ("conversations", "INSERT", search["present"], _count(
            "search_latency_daily", "day, repo, bucket",
            f"{d}, {search['repo']}, {case_sql(search['ms'])}", "searches", "1")),
        ("users_daily", "INSERT", "NEW.kind = 'active'", _count(
            "active_daily", "day, channel", "NEW.day, NEW.channel", "users", "1")),
        ("users_weekly", "INSERT", "", _count(
            "active_weekly", "week, channel", "NEW.week, NEW.channel", "users", "1")),
        ("conversation_runs", "INSERT", "", _count(
            "stops_daily", stop, f"{day.format(t='NEW.last_at')}, NEW.channel, NEW.last_state",
            "conversations", "1")),
        # A conversation moves from one stop to another: the two rows are changed in the order
        # of their keys, so two turns moving in opposite directions cannot deadlock.
        ("conversation_runs", "UPDATE", f"({changed}) AND {was} <= {now}", leave),
        ("conversation_runs", "UPDATE", changed, arrive),
        ("conversation_runs", "UPDATE", f"({changed}) AND {was} > {now}", leave),
    ]  # fmt: skip


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
    triggers = _triggers(
        "CAST({t} / 3600 AS INTEGER)",
        "CAST({t} / 86400 AS INTEGER)",
        _sqlite_number("$.llm.cost_usd"),
        search,
    )
    fill = {
        "real": "REAL",
        "serial": "INTEGER",
        "autoincrement": " AUTOINCREMENT",
        "without_rowid": " WITHOUT ROWID",  # the totals live in their primary key's b-tree
    }
    return (
        *(s.format(**fill) for s in COLUMNS),
        *(s.format(**fill) for s in TABLES),
        *(
            f"CREATE TRIGGER analytics_{i} AFTER {event} ON {table} "
            + (f"WHEN {when} " if when else "")
            + f"BEGIN {statement}; END"
            for i, (table, event, when, statement) in enumerate(triggers)
        ),
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
    triggers = _triggers(
        "floor({t} / 3600)::bigint",
        "floor({t} / 86400)::bigint",
        _pg_number("llm.cost_usd"),
        search,
    )
    fill = {
        "real": "DOUBLE PRECISION",
        "serial": "BIGSERIAL",
        "autoincrement": "",
        "without_rowid": "",
    }
    functions: list[str] = []
    for table in dict.fromkeys(t for t, _, _, _ in triggers):
        for event in dict.fromkeys(e for t, e, _, _ in triggers if t == table):
            body = "\n".join(
                f"IF {when} THEN {statement}; END IF;" if when else f"{statement};"
                for t, e, when, statement in triggers
                if (t, e) == (table, event)
            )
            name = f"analytics_{table}_{event.lower()}"
            functions += [
                f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $body$
                BEGIN
                {body}
                RETURN NULL;
                END
                $body$""",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            ]
    return (
        *(s.format(**fill) for s in COLUMNS),
        *(s.format(**fill) for s in TABLES),
        *functions,
    )


SQLITE = _sqlite()
POSTGRES = _postgres()


def purge_statements(cutoff: float) -> list[tuple[str, tuple[float | int]]]:
    """What ``purge_older_than(cutoff)`` also deletes: conversations that ended before it, and
    the totals of every whole hour (day, week) before it."""
    hour, day = int(cutoff // 3600), int(cutoff // 86400)
    return [
        ("DELETE FROM conversation_runs WHERE last_at < ?", (cutoff,)),
        ("DELETE FROM traffic_hourly WHERE hour < ?", (hour,)),
        *((f"DELETE FROM {t} WHERE day < ?", (day,)) for t in DAILY),
        *((f"DELETE FROM {t} WHERE week < ?", ((day + 3) // 7,)) for t in WEEKLY),
    ]


DAILY = (
    "latency_daily", "transitions_daily", "stops_daily", "users_daily", "active_daily",
    "searches_daily", "search_latency_daily",
)  # fmt: skip
WEEKLY = ("users_weekly", "active_weekly")
