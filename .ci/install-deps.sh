#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (idempotent: only what is missing). Others append to PACKAGES.
set -euo pipefail
PACKAGES=(
  xmlsec1          # test/idp-interop.test.ts: xmlsec1 --verify
  python3-pysaml2  # test/idp-interop.test.ts: pysaml2 as an SP
  chromium         # test/idp-browser.test.ts: playwright-core with /usr/bin/chromium
  redis-server     # test/redis-*.test.ts: a real Redis on a free port (test/redis-server.ts); Cluster nodes and, as redis-server --sentinel, the sentinel (test/redis-topologies.ts)
  redis-tools      # test/redis-cluster.test.ts: redis-cli --cluster create
  golang-go        # test/fleet-read-differential.test.ts, test/proxy-go-upstream.test.ts, test/xml-differential.test.ts: Go's own parsers
  golang-github-beevik-etree-dev                      # test/xml-differential.test.ts: its XML tree (crewjam/saml parses with etree)
  golang-github-russellhaering-goxmldsig-dev          # ... XML-DSig verification as crewjam does it
  golang-github-mattermost-xml-roundtrip-validator-dev # ... the round-trip validator crewjam runs first
  nginx            # test/edge-*.test.ts: the fronts edge-config writes for, run as children (test/edge-fronts.ts)
  caddy            # test/edge-*.test.ts
  haproxy          # test/edge-*.test.ts
  systemd          # test/edge-deploy-doc.test.ts: systemd-analyze verify on docs/deploy.md's unit
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
