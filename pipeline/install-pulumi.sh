#!/usr/bin/env bash
# The Deploy stage's Pulumi CLI: the version requirements.txt pins for the SDK (one pin for both), for
# linux-arm64, installed into ~/.pulumi/bin only after its SHA-256 matches the checksums Pulumi publishes with
# the release on GitHub, a different origin from the download's (get.pulumi.com).
set -euo pipefail
version=$(sed -n 's/^pulumi==//p' requirements.txt)
[ -n "$version" ] || { echo "requirements.txt pins no pulumi==<version>" >&2; exit 1; }
archive="pulumi-v${version}-linux-arm64.tar.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$archive" "https://get.pulumi.com/releases/sdk/$archive"
curl -fsSL --retry 3 -o "$work/checksums.txt" \
  "https://github.com/pulumi/pulumi/releases/download/v${version}/pulumi-${version}-checksums.txt"
listed=$(grep -E "^[0-9a-f]{64}  ${archive}\$" "$work/checksums.txt" || true)
[ -n "$listed" ] || { echo "the checksums of v${version} do not list ${archive}" >&2; exit 1; }
(cd "$work" && sha256sum --check --strict --quiet <<<"$listed")
mkdir -p "$HOME/.pulumi/bin"
tar -xzf "$work/$archive" --strip-components=1 -C "$HOME/.pulumi/bin"
"$HOME/.pulumi/bin/pulumi" version
