#!/usr/bin/env bash
# Installs The Lounge 4.5.2 (npm, MIT) into tests/peers/thelounge/node_modules
# for tests/interop_thelounge_test.ts. --ignore-scripts: no native builds (its
# sqlite3 storage is not used in the test); the package.json override pins
# irc-framework 4.14.0, whose GitHub-hosted dependency of 4.5.2's own pick
# cannot be fetched.
set -euo pipefail
cd "$(dirname "$0")"
if [ -f node_modules/thelounge/package.json ]; then
  exit 0
fi
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
test -f node_modules/thelounge/package.json
