#!/usr/bin/env bash
# The web UI's checks: ESLint over server/src/main/resources/web and the unit tests of its pure logic
# (server/src/test/web, Node's own test runner). Run by the server module's test phase, so by `./iac test` and
# .ci/run; by hand: `bash scripts/web-checks.sh` (or `npm test` once node_modules is there).
#
# Without Node.js (20.19 or newer, as ESLint 10 needs) it says so in one line and passes, except under
# IAC_REQUIRE_SERVICES=1 (set by .ci/run), where that is a failure. node_modules comes from package-lock.json by
# `npm ci`, run only when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

missing() {
  if [ "${IAC_REQUIRE_SERVICES:-}" = "1" ]; then
    echo "web checks: FAILED: $1 (IAC_REQUIRE_SERVICES=1)" >&2
    exit 1
  fi
  echo "web checks: skipped: $1; ESLint and the UI unit tests did not run"
  exit 0
}

command -v node >/dev/null 2>&1 || missing "no node on PATH (Node.js 20.19 or newer)"
command -v npm >/dev/null 2>&1 || missing "no npm on PATH"
version=$(node -p 'process.versions.node')
IFS=. read -r major minor _ <<<"$version"
if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
  missing "node $version is older than 20.19"
fi

# npm ci writes node_modules/.package-lock.json: its age is when node_modules was last installed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web checks: npm ci (node_modules missing or older than package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "web checks: ESLint (eslint.config.js)"
node_modules/.bin/eslint --max-warnings=0
echo "web checks: ESLint found nothing"

echo "web checks: UI unit tests (node --test server/src/test/web/)"
node --test --test-reporter=spec server/src/test/web/
