"""Slack events per second through the real server: `python server.py` in production mode,
SQLite, with webhook.py's method.

A load generator in a separate process plays Slack on both sides: it posts Events API
`message.im` events (1,000 distinct users, each request signed with the v0 signature as Slack
signs it, HTTP/1.1 keep-alive over loopback) and it serves the Web API's chat.postMessage the
replies come back to (the real slack-sdk client in the server, pointed at it). It is a closed
loop: --connections conversations at once, each sending its user's next message once the reply
to the previous one was posted. Measured: events answered per second, the latency of the
acknowledgement (Slack wants it within 3 s) and of the reply (event sent -> chat.postMessage).

The anchor, measured in the same run by the same generator: a bare aiohttp handler (same event
loop) that checks the signature, writes one SQLite row, acknowledges, and posts a fixed reply with
the same slack-sdk client. We report our throughput, and our server CPU per event, as ratios of
it.

Afterwards: every acknowledged event must have had exactly one reply (none lost, none posted
twice), and exactly one history row in the database.

    .venv/bin/python bench/channels.py [--seconds 30] [--senders 1000] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.webhook import (  # noqa: E402 - after the path is set
    ACCOUNT,
    BOT,
    TEXTS,
    TOKEN,
    cpu_seconds,
    free_port,
    peak_rss_mb,
    stop,
    wait_ready,
)

SECRET = "bench-slack-signing-secret-0123456789"
BOT_TOKEN = "xoxb-bench-0123456789"
TEAM = "TBENCH"
BOT_USER = "UBENCHBOT"


def user(i: int) -> str:
    return f"U{i:08d}"


def signed(body: bytes, now: float) -> dict[str, str]:
    stamp = str(int(now))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def event(i: int, n: int, text: str, tag: str) -> tuple[str, bytes]:
    event_id = f"Ev{tag}{n:010d}"
    ts = f"{time.time():.6f}"
    body = {
        "token": "unused",
        "team_id": TEAM,
        "api_app_id": "ABENCH",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": f"D{i:08d}",
            "user": user(i),
            "team": TEAM,
            "text": text,
            "ts": ts,
            "event_ts": ts,
        },
    }
    return event_id, json.dumps(body).encode()


# -- the load generator, and the Slack Web API the replies come back to (its own process) -------


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.next = 0
        self.turn = [0] * args.senders
        self.waiting: dict[str, asyncio.Future[float]] = {}  # channel -> its reply's arrival
        self.acks: list[float] = []
        self.replies: list[float] = []
        self.accepted: list[str] = []
        self.answered: set[str] = set()
        self.statuses: dict[int, int] = {}
        self.unexpected = 0  # replies to a channel that was not waiting: a duplicate

    async def post_message(self, request: Any) -> Any:
        from aiohttp import web

        data = await request.json()
        channel = str(data.get("channel", ""))
        waiter = self.waiting.pop(channel, None)
        if waiter is None or waiter.done():
            self.unexpected += 1
        else:
            waiter.set_result(time.perf_counter())
        ts = f"{time.time():.6f}"
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    async def conversation(self, deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
        loop = asyncio.get_running_loop()
        try:
            while time.perf_counter() < deadline:
                i = self.next % self.args.senders
                self.next += 1
                text = TEXTS[self.turn[i] % len(TEXTS)]
                self.turn[i] += 1
                event_id, body = event(i, self.next, text, self.args.tag)
                channel = f"D{i:08d}"
                waiter: asyncio.Future[float] = loop.create_future()
                self.waiting[channel] = waiter
                head = "".join(f"{k}: {v}\r\n" for k, v in signed(body, time.time()).items())
                started = time.perf_counter()
                writer.write(
                    (
                        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{self.args.port}\r\n"
                        "User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
                        f"Content-Type: application/json\r\n{head}"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
                status = await self._answer(reader)
                self.acks.append(time.perf_counter() - started)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status != 200:
                    self.waiting.pop(channel, None)
                    continue
                self.accepted.append(event_id)
                try:
                    arrived = await asyncio.wait_for(waiter, timeout=30)
                except TimeoutError:
                    continue  # lost: counted at the end
                self.answered.add(event_id)
                self.replies.append(arrived - started)
        finally:
            writer.close()

    @staticmethod
    async def _answer(reader: asyncio.StreamReader) -> int:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        if length:
            await reader.readexactly(length)
        return int(head[9:12])

    async def run(self) -> dict[str, Any]:
        from aiohttp import web

        app = web.Application()
        app.router.add_post("/api/chat.postMessage", self.post_message)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.args.slack_port).start()
        started = time.perf_counter()
        deadline = started + self.args.seconds
        await asyncio.gather(*(self.conversation(deadline) for _ in range(self.args.connections)))
        elapsed = time.perf_counter() - started
        await asyncio.sleep(1.0)  # a late duplicate would arrive now
        await runner.cleanup()

        def pct(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

        return {
            "events": len(self.answered),
            "per_s": len(self.answered) / elapsed,
            "ack_p50_ms": pct(self.acks, 0.5),
            "ack_p99_ms": pct(self.acks, 0.99),
            "reply_p50_ms": pct(self.replies, 0.5),
            "reply_p99_ms": pct(self.replies, 0.99),
            "statuses": self.statuses,
            "accepted": self.accepted,
            "lost": len(self.accepted) - len(self.answered),
            "duplicated": self.unexpected,
        }


def run_load(args: argparse.Namespace) -> None:
    from bot.web.run import install_fast_loop

    install_fast_loop()
    result = asyncio.run(Load(args).run())
    Path(args.out).write_text(json.dumps(result))


# -- the anchor: a bare handler ------------------------------------------------------------------


def run_ceiling(args: argparse.Namespace) -> None:
    import sqlite3

    from aiohttp import web
    from slack_sdk.web.async_client import AsyncWebClient

    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, body TEXT, ts REAL)")
    tasks: set[asyncio.Task[Any]] = set()

    async def events(request: web.Request) -> web.Response:
        body = await request.read()
        stamp = request.headers.get("X-Slack-Request-Timestamp", "0")
        expected = signed(body, float(stamp))["X-Slack-Signature"]
        if abs(time.time() - int(stamp)) > 300 or not hmac.compare_digest(
            expected, request.headers.get("X-Slack-Signature", "")
        ):
            return web.Response(status=401)
        data = json.loads(body)
        db.execute(
            "INSERT INTO events VALUES (?, ?, ?)",
            (data["event_id"], data["event"]["text"], time.time()),
        )
        client: AsyncWebClient = request.app["client"]
        task = asyncio.create_task(
            client.chat_postMessage(channel=data["event"]["channel"], text="ok")
        )
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.Response(status=200)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def client_ctx(app: web.Application) -> Any:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            app["client"] = AsyncWebClient(
                token=BOT_TOKEN,
                base_url=f"http://127.0.0.1:{args.slack_port}/api/",
                session=session,
            )
            yield

    app = web.Application()
    app.cleanup_ctx.append(client_ctx)
    app.router.add_post("/slack/events", events)
    app.router.add_get("/health", health)
    from bot.web.run import install_fast_loop

    install_fast_loop()
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


# -- the orchestrator ----------------------------------------------------------------------------


def load(
    port: int,
    seconds: float,
    args: argparse.Namespace,
    tag: str,
    tmp: Path,
    *,
    pid: int,
    slack: int,
) -> dict[str, Any]:
    out = tmp / f"load-{tag}.json"
    cmd = [
        sys.executable, __file__, "--role", "load", "--port", str(port),
        "--slack-port", str(slack), "--seconds", str(seconds), "--senders", str(args.senders),
        "--connections", str(args.connections), "--tag", tag, "--out", str(out),
    ]  # fmt: skip
    before = cpu_seconds(pid)
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(1, result["events"]) * 1e6
    return result


def write_config(tmp: Path, senders: int) -> Path:
    """Production, so access is an allowlist: every Slack user of the run is listed."""
    config = tmp / "config.yaml"
    listed = ", ".join(f'"slack:{TEAM}:{user(i)}"' for i in range(senders))
    config.write_text(
        f"""env: production
log_level: INFO
access:
  mode: allowlist
  users: [{listed}]
storage:
  database_url: sqlite:///{tmp / "bot.db"}
flows:
  dir: {ROOT / "flows"}
  prompts_dir: {ROOT / "prompts"}
  reload: false
search:
  index_dir: {tmp / "index"}
repos:
  - name: jinja2
    package: jinja2
    description: the Jinja template engine
"""
    )
    return config


async def check_database(config: Path, accepted: list[str], senders: int) -> tuple[int, int]:
    from bot.config import load_settings
    from bot.store.factory import open_store

    settings = load_settings(config, environ={}, read_dotenv=False)
    seen: dict[str, int] = {}
    async with open_store(settings) as store:
        for i in range(senders):
            for row in await store.history(f"slack:{TEAM}:{user(i)}", limit=10_000_000):
                if row.message_sid:
                    seen[row.message_sid] = seen.get(row.message_sid, 0) + 1
    lost = sum(1 for event_id in accepted if f"slack:{event_id}" not in seen)
    duplicated = sum(1 for count in seen.values() if count > 1)
    return lost, duplicated


def orchestrate(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-channels-") as name:
        tmp = Path(name)
        port, slack = free_port(), free_port()
        cmd = [sys.executable, __file__, "--role", "ceiling", "--port", str(port)]
        ceiling = subprocess.Popen(
            [*cmd, "--slack-port", str(slack), "--db", str(tmp / "ceiling.db")]
        )
        try:
            wait_ready(port, ceiling)
            bare = load(port, args.anchor_seconds or min(args.seconds, 20.0), args, "c", tmp,
                        pid=ceiling.pid, slack=slack)  # fmt: skip
        finally:
            stop(ceiling)
        print(
            f"bare handler, {args.connections} conversations: {bare['per_s']:.0f} events/s, "
            f"reply p99 {bare['reply_p99_ms']:.1f} ms, {bare['cpu_us']:.0f} us CPU per event"
        )

        port, slack = free_port(), free_port()
        config = write_config(tmp, args.senders)
        env = {
            **os.environ,
            "BOT_CONFIG": str(config),
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_WHATSAPP_NUMBER": BOT,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_API_BASE_URL": f"http://127.0.0.1:{slack}/api/",
            "BOT_LIMITS__RATE_LIMIT_PER_MINUTE": "1000000",
        }
        log = (tmp / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, str(ROOT / "server.py")], env=env, stderr=log)
        try:
            wait_ready(port, server)
            held = load(port, args.seconds, args, "s", tmp, pid=server.pid, slack=slack)
            rss = peak_rss_mb(server.pid)
        finally:
            stop(server)
            log.close()
        lines = (tmp / "server.log").read_text().splitlines()
        errors = [line for line in lines if '"level": "error"' in line]
        stored_lost, stored_twice = asyncio.run(
            check_database(config, held["accepted"], args.senders)
        )

    failed = sum(n for status, n in held["statuses"].items() if status != "200")
    ratio = held["per_s"] / bare["per_s"]
    cost = bare["cpu_us"] / held["cpu_us"] if held["cpu_us"] else 0.0
    lost, duplicated = held["lost"] + stored_lost, held["duplicated"] + stored_twice
    print(
        f"slack events, {args.connections} conversations, {args.seconds:g} s, {args.senders} "
        f"users: {held['per_s']:.0f} events/s, ack p50 {held['ack_p50_ms']:.1f} ms, "
        f"ack p99 {held['ack_p99_ms']:.1f} ms, reply p50 {held['reply_p50_ms']:.1f} ms, "
        f"reply p99 {held['reply_p99_ms']:.1f} ms, {held['cpu_us']:.0f} us CPU per event"
    )
    print(
        f"acknowledged {len(held['accepted'])}; replies lost {held['lost']}, posted twice "
        f"{held['duplicated']}; history rows missing {stored_lost}, doubled {stored_twice}; "
        f"non-200 answers {failed}"
    )
    print(f"server peak RSS {rss:.0f} MB; error log lines: {len(errors)}")
    print(f"ratio to the bare handler: throughput {ratio:.2f}, CPU per event {cost:.2f}")
    print(
        f"RESULT slack_events_per_s={held['per_s']:.0f} ack_p99_ms={held['ack_p99_ms']:.2f} "
        f"reply_p50_ms={held['reply_p50_ms']:.2f} reply_p99_ms={held['reply_p99_ms']:.2f} "
        f"bare_per_s={bare['per_s']:.0f} bare_reply_p99_ms={bare['reply_p99_ms']:.2f} "
        f"ratio={ratio:.2f} cpu_us_per_event={held['cpu_us']:.0f} "
        f"bare_cpu_us={bare['cpu_us']:.0f} cpu_ratio={cost:.2f} lost={lost} "
        f"duplicated={duplicated} failed={failed} errors={len(errors)} peak_rss_mb={rss:.0f} "
        f"seconds={args.seconds:g} senders={args.senders}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="sustained run (default 30)")
    parser.add_argument("--anchor-seconds", type=float, default=0.0, help="bare run (default 20)")
    parser.add_argument("--senders", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16, help="conversations at once")
    parser.add_argument("--role", choices=("main", "load", "ceiling"), default="main")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--slack-port", type=int, default=0)
    parser.add_argument("--tag", default="s")
    parser.add_argument("--out", default="")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    roles = {"main": orchestrate, "load": run_load, "ceiling": run_ceiling}
    roles[args.role](args)


if __name__ == "__main__":
    main()
