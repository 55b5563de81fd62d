# The WhatsApp code assistant: `python server.py` on $PORT, SQLite and the search index in /app/data.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BOT_ENV=production \
    PORT=8080

# git (+ certificates, ssh): `git:` repositories; ripgrep: code search tooling; tini: signals reach Python, so SIGTERM shuts down cleanly.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client ripgrep tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock .
RUN pip install -r requirements.lock

COPY . .
# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE every start (the server, or
# `python -m bot chat` in the container) would otherwise compile the project's modules again.
RUN python -m compileall -q bot
RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin bot \
    && mkdir -p /app/data \
    && chown -R bot:bot /app/data \
    && chmod 0700 /app/data  # the database, its backups and the index of private code

USER bot
VOLUME ["/app/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8080'), timeout=4)"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["python", "server.py"]
