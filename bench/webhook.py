"""Messages per second through the real webhook: `python server.py` in production mode, SQLite.

A load generator in a separate process plays Twilio: 1,000 distinct WhatsApp senders, requests
signed with twilio's RequestValidator, HTTP/1.1 keep-alive over loopback. By default it is a
closed loop (--connections connections, each sending its next message as soon as the previous one
is answered) sustained for --seconds; --rate N instead offers N msg/s whatever the answers do (an
open loop, latency counted from when each message was due). Senders talk to the shipped flows
through the local intent matcher (greetings, menu, help, repo choice, thanks, typos included).

The anchor, measured in the same run by the same generator: a bare aiohttp handler (same event
loop) that only checks the signature, writes one SQLite row and returns TwiML. We report our
throughput, and our server CPU per message, as ratios of it: on a shared machine the CPU ratio is
the steadier of the two.

Afterwards every accepted MessageSid is looked up in the database: none may be missing (lost) or
stored twice (duplicated). Peak RSS is the server's VmHWM. Replies that miss the 2 s budget go to
a local stand-in for Twilio's REST API and are counted.

    .venv/bin/python bench/webhook.py [--seconds 60] [--senders 1000] [--connections 16]
    .venv/bin/python bench/webhook.py --seconds 10          # a quick run

The rate limit is raised for the run (1,000 senders at 1,000+ msg/s would each send far more than
10 a minute); everything else is the production configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from multidict import MultiDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "bench-auth-token-0123456789abcdef"
ACCOUNT = "AC" + "b" * 32
BOT = "whatsapp:+14155238886"
TEXTS = (
    "hi", "help", "menu", "thanks", "switch repo", "1", "menu", "helo", "what can you do",
    "main menu", "thx", "cancel", "back", "start over", "good morning", "show menu",
)  # fmt: skip


# -- the load generator (its own process) ------------------------------------------------------


def form(sid: str, sender: str, text: str) -> dict[str, str]:
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Bench",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": sender.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "Body": text,
        "To": BOT,
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        from twilio.request_validator import RequestValidator

        self.args = args
        # Signed for the public https address, as behind a platform's TLS proxy (production
        # refuses a plain-http PUBLIC_BASE_URL); sent over loopback in plain http.
        self.url = f"https://127.0.0.1:{args.port}/webhook"
        self.validator = RequestValidator(TOKEN)
        self.senders = [f"whatsapp:+1555{i:07d}" for i in range(args.senders)]
        self.turn = [0] * args.senders
        self.next = 0
        self.latencies: list[float] = []
        self.accepted: list[str] = []
        self.statuses: dict[int, int] = {}
        self.empty = 0

    def request(self) -> tuple[str, bytes]:
        from urllib.parse import urlencode

        i = self.next % len(self.senders)
        self.next += 1
        sender = self.senders[i]
        text = TEXTS[self.turn[i] % len(TEXTS)]
        self.turn[i] += 1
        sid = f"SM{self.args.tag}{self.next:026d}"
        fields = form(sid, sender, text)
        body = urlencode(fields).encode()
        signature = self.validator.compute_signature(self.url, MultiDict(fields))
        head = (
            f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:{self.args.port}\r\n"
            "User-Agent: TwilioProxy/1.1\r\nAccept: */*\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Twilio-Signature: {signature}\r\nI-Twilio-Idempotency-Token: {sid}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        return sid, head.encode() + body

    async def exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, since: float | None
    ) -> None:
        """One request on a keep-alive connection; latency counts from ``since`` when the
        request was due (open loop), so time spent waiting to be sent is not hidden."""
        sid, payload = self.request()
        started = time.perf_counter() if since is None else since
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await reader.readexactly(length) if length else b""
        self.latencies.append(time.perf_counter() - started)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.accepted.append(sid)
            self.empty += b"<Message>" not in body

    async def closed_loop(self, deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.args.port)
        try:
            while time.perf_counter() < deadline:
                await self.exchange(reader, writer, None)
        finally:
            writer.close()

    async def open_loop(self, rate: float, deadline: float) -> None:
        """Send at a fixed rate whatever the answers do, on up to --max-connections
        connections (Twilio opens as many as it needs; a listen backlog does not)."""
        idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        tasks: set[asyncio.Task[None]] = set()
        # Twilio keeps connections alive; opening hundreds at once would only measure SYN
        # retransmits on a full listen backlog. Start warm, grow when all are busy.
        for _ in range(self.args.connections):
            idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.args.port))
        opened = self.args.connections

        async def one(due: float) -> None:
            nonlocal opened
            if idle.empty() and opened < self.args.max_connections:
                opened += 1
                conn = await asyncio.open_connection("127.0.0.1", self.args.port)
            else:
                conn = await idle.get()
            try:
                await self.exchange(*conn, due)
            except (OSError, asyncio.IncompleteReadError):
                self.statuses[0] = self.statuses.get(0, 0) + 1
                conn[1].close()
                opened -= 1
                return
            idle.put_nowait(conn)

        start = time.perf_counter()
        sent = 0
        while True:
            now = time.perf_counter()
            if now >= deadline:
                break
            while start + sent / rate <= now:
                task = asyncio.create_task(one(start + sent / rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(max(0.0, start + sent / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        while not idle.empty():
            idle.get_nowait()[1].close()

    async def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        deadline = started + self.args.seconds
        if self.args.rate:
            await self.open_loop(self.args.rate, deadline)
        else:
            connections = self.args.connections
            await asyncio.gather(*(self.closed_loop(deadline) for _ in range(connections)))
        elapsed = time.perf_counter() - started
        ordered = sorted(self.latencies)

        def pct(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0

        return {
            "requests": len(ordered),
            "per_s": len(ordered) / elapsed,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": pct(1.0),
            "statuses": self.statuses,
            "no_reply": self.empty,
            "accepted": self.accepted,
        }


def run_load(args: argparse.Namespace) -> None:
    from bot.web.run import install_fast_loop

    install_fast_loop()  # the generator shares the 2 cores with the server: keep it cheap
    result = asyncio.run(Load(args).run())
    Path(args.out).write_text(json.dumps(result))


# -- the anchor: a bare handler ------------------------------------------------------------------


def run_ceiling(args: argparse.Namespace) -> None:
    import sqlite3

    from aiohttp import web
    from twilio.request_validator import RequestValidator

    db = sqlite3.connect(args.db, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS messages (sid TEXT PRIMARY KEY, body TEXT, ts REAL)")
    validator = RequestValidator(TOKEN)
    url = f"http://127.0.0.1:{args.port}/webhook"

    async def webhook(request: web.Request) -> web.Response:
        data = await request.post()
        if not validator.validate(url, data, request.headers.get("X-Twilio-Signature", "")):
            return web.Response(status=403)
        db.execute(
            "INSERT INTO messages VALUES (?, ?, ?)",
            (data["MessageSid"], data["Body"], time.time()),
        )
        twiml = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'
        return web.Response(text=twiml, content_type="text/xml")

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    app.router.add_get("/health", health)
    from bot.web.run import install_fast_loop

    install_fast_loop()  # the same event loop as the server, or the anchor flatters us
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


def run_twilio(args: argparse.Namespace) -> None:
    """The Twilio REST API for replies that miss the webhook's budget (tests' local fake)."""
    from aiohttp import web

    from tests.channels.fake_twilio import FakeTwilio

    fake = FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN)
    app = fake.app()

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"sent": len(fake.sent)})

    app.router.add_get("/health", count)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


# -- the orchestrator ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    """Until /health answers 200 and the search index is built (indexing would eat the CPU
    the measurement is about)."""
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                body = json.loads(resp.read() or b"{}")
                search = body.get("search")
                if resp.status == 200 and not (
                    isinstance(search, dict) and search.get("state") == "indexing"
                ):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def load(
    port: int,
    seconds: float,
    args: argparse.Namespace,
    tag: str,
    tmp: Path,
    *,
    rate: float = 0.0,
    pid: int = 0,
) -> dict[str, Any]:
    """Run the load generator process; with ``pid``, also the server's CPU per request."""
    out = tmp / f"load-{tag}.json"
    cmd = [
        sys.executable, __file__, "--role", "load", "--port", str(port),
        "--seconds", str(seconds), "--senders", str(args.senders), "--rate", str(rate),
        "--connections", str(args.connections), "--max-connections", str(args.max_connections),
        "--tag", tag, "--out", str(out),
    ]  # fmt: skip
    before = cpu_seconds(pid)
    subprocess.run(cmd, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(1, result["requests"]) * 1e6
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, all its threads included."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rest_sent(port: int) -> int:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as resp:
        return int(json.loads(resp.read())["sent"])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def write_config(tmp: Path, senders: int) -> Path:
    """Production, so access is an allowlist: every sender of the run is listed (each message
    pays the access check a real deployment pays)."""
    config = tmp / "config.yaml"
    listed = ", ".join(f'"+1555{i:07d}"' for i in range(senders))
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
            for row in await store.history(f"+1555{i:07d}", limit=10_000_000):
                if row.message_sid:
                    seen[row.message_sid] = seen.get(row.message_sid, 0) + 1
    lost = sum(1 for sid in accepted if sid not in seen)
    duplicated = sum(1 for count in seen.values() if count > 1)
    return lost, duplicated


def orchestrate(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as name:
        tmp = Path(name)
        anchor_seconds = args.anchor_seconds or min(args.seconds, 20.0)
        # Both runs use the same generator; --rate only changes ours (an open-loop check).
        port = free_port()
        cmd = [sys.executable, __file__, "--role", "ceiling", "--port", str(port)]
        ceiling = subprocess.Popen([*cmd, "--db", str(tmp / "ceiling.db")])
        try:
            wait_ready(port, ceiling)
            bare = load(port, anchor_seconds, args, "c", tmp, pid=ceiling.pid)
        finally:
            stop(ceiling)
        print(
            f"bare handler, {args.connections} connections: {bare['per_s']:.0f} req/s, "
            f"p99 {bare['p99_ms']:.1f} ms, {bare['cpu_us']:.0f} us CPU per request"
        )

        twilio_port = free_port()
        twilio = subprocess.Popen([*cmd[:3], "twilio", "--port", str(twilio_port)])
        wait_ready(twilio_port, twilio)
        port = free_port()
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
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{twilio_port}",
            "BOT_LIMITS__RATE_LIMIT_PER_MINUTE": "1000000",
        }
        log = (tmp / "server.log").open("wb")
        server = subprocess.Popen([sys.executable, str(ROOT / "server.py")], env=env, stderr=log)
        try:
            wait_ready(port, server)
            held = load(port, args.seconds, args, "s", tmp, rate=args.rate, pid=server.pid)
            rss = peak_rss_mb(server.pid)
        finally:
            stop(server)
            log.close()
            sent_later = rest_sent(twilio_port)
            stop(twilio)
        lines = (tmp / "server.log").read_text().splitlines()
        errors = [line for line in lines if '"level": "error"' in line]
        accepted = held["accepted"]
        lost, duplicated = asyncio.run(check_database(config, accepted, args.senders))

    failed = held["requests"] - held["statuses"].get("200", 0)
    ratio = held["per_s"] / bare["per_s"]
    cost = bare["cpu_us"] / held["cpu_us"] if held["cpu_us"] else 0.0
    how = f"{args.rate:g} msg/s offered" if args.rate else f"{args.connections} connections"
    print(
        f"webhook, {how}, {args.seconds:g} s, {args.senders} senders: {held['per_s']:.0f} msg/s, "
        f"p50 {held['p50_ms']:.1f} ms, p99 {held['p99_ms']:.1f} ms, max {held['max_ms']:.1f} ms, "
        f"{held['cpu_us']:.0f} us CPU per message"
    )
    print(f"non-200 answers: {failed}; 200s without a reply: {held['no_reply']}")
    print(f"replies sent later through the REST API: {sent_later}")
    print(f"database: {len(accepted)} accepted, {lost} lost, {duplicated} duplicated")
    print(f"server peak RSS {rss:.0f} MB; error log lines: {len(errors)}")
    print(f"ratio to the bare handler: throughput {ratio:.2f}, CPU per message {cost:.2f}")
    print(
        f"RESULT msgs_per_s={held['per_s']:.0f} p50_ms={held['p50_ms']:.2f} "
        f"p99_ms={held['p99_ms']:.2f} bare_per_s={bare['per_s']:.0f} ratio={ratio:.2f} "
        f"cpu_us_per_msg={held['cpu_us']:.0f} bare_cpu_us={bare['cpu_us']:.0f} "
        f"cpu_ratio={cost:.2f} lost={lost} duplicated={duplicated} failed={failed} "
        f"rest_sent={sent_later} errors={len(errors)} peak_rss_mb={rss:.0f} "
        f"seconds={args.seconds:g} senders={args.senders}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="sustained run (default 60)")
    parser.add_argument("--anchor-seconds", type=float, default=0.0, help="bare run (default 20)")
    parser.add_argument("--senders", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=16, help="closed-loop connections")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="offer this many msg/s instead (open loop)"
    )
    parser.add_argument("--max-connections", type=int, default=256, help="for --rate")
    parser.add_argument("--role", choices=("main", "load", "ceiling", "twilio"), default="main")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tag", default="s")
    parser.add_argument("--out", default="")
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    roles = {"main": orchestrate, "load": run_load, "ceiling": run_ceiling, "twilio": run_twilio}
    roles[args.role](args)


if __name__ == "__main__":
    main()
