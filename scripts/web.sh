#!/usr/bin/env bash
# The dashboard's build (ADR 0027): web/ (React + Vite, TypeScript) -> web/dist -> the dashboard
# function's package (functions/dashboard/static, git-ignored), which make run serves and sam build
# packages. Fast when nothing changed: each step is keyed on a hash of what it was made from.
#
#   scripts/web.sh [build]   npm ci if node_modules is missing or older than the lock file; npm run
#                            build if the sources changed (hash of web/src, web/public, index.html,
#                            package*.json, the vite/ts configs, stored as web/dist/.cirrus-source-hash);
#                            then copy web/dist into functions/dashboard/static if it differs
#   scripts/web.sh test      the front-end unit tests (npm test, CI=1 so they run once)
#   scripts/web.sh sizes     the bundle's files and their gzipped sizes
#
# Node.js (the version web/package.json's "engines" asks for) and npm come from the OS; when they are
# missing and this runs as root with apt-get, Debian's nodejs and npm are installed; otherwise (or if
# that is too old) the script says what to install and fails.
# Knobs: WEB_FORCE=1 rebuilds; CIRRUS_WEB=0 skips everything (exit 0).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WEB="$ROOT/web"
DIST="$WEB/dist"
PACKAGE="$ROOT/functions/dashboard/static"
STAMP=".cirrus-source-hash"
COMMAND="${1:-build}"

say() { printf 'web: %s\n' "$*"; }
die() { printf 'web: ERROR: %s\n' "$*" >&2; exit 1; }

[ "${CIRRUS_WEB:-1}" != 0 ] || { say "skipped (CIRRUS_WEB=0)"; exit 0; }
if [ ! -f "$WEB/package.json" ]; then
  say "no web/package.json: there is no dashboard to build (the API works without it)"
  exit 0
fi

# ---- Node.js and npm: the version web/package.json asks for ("engines": {"node": ">=20.19"})
NEED="$(sed -n 's/.*"node"[[:space:]]*:[[:space:]]*">=[[:space:]]*\([0-9][0-9.]*\).*/\1/p' "$WEB/package.json" | head -1)"
NEED="${NEED:-18}"
node_ok() { # the node on PATH is at least $NEED (major.minor)
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && node -e 'const [a,b]=process.argv[1].split(".").map(Number),[x,y]=process.versions.node.split(".").map(Number);
                process.exit(x>a||(x===a&&y>=(b||0))?0:1)' "$NEED" 2>/dev/null
}
found() { command -v node >/dev/null 2>&1 && echo "node $(node --version)" || echo "no node"; }
if ! node_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v node >/dev/null 2>&1; then
    say "Node.js and npm are missing: installing Debian's nodejs and npm (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq nodejs npm; } >/dev/null 2>&1 \
      || say "apt-get install nodejs npm failed"
  fi
  node_ok || die "building the dashboard needs Node.js >= $NEED with npm (web/package.json), found: \
$(found). Install it (Debian/Ubuntu: sudo apt-get install nodejs npm if that gives >= $NEED, else \
Node.js from NodeSource or nvm; macOS: brew install node), then run: make web"
fi

# One build at a time per checkout (make run and make test, or several test workers, may start together).
if command -v flock >/dev/null 2>&1; then
  LOCK="${TMPDIR:-/tmp}/cirrus-web-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12).lock"
  exec 8>"$LOCK"
  flock 8
fi

export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# ---- node_modules: installed from the lock file, again when the lock file (or package.json) changed
deps_key() {
  local f
  for f in "$WEB/package.json" "$WEB/package-lock.json"; do [ ! -f "$f" ] || cat "$f"; done | sha256sum | cut -c1-16
}
ensure_modules() {
  local stamp="$WEB/node_modules/.cirrus-deps-hash" log
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(deps_key)" ]; then
    return
  fi
  local T=$SECONDS
  if [ -f "$WEB/package-lock.json" ]; then
    say "npm ci (node_modules missing or older than package-lock.json)"
    log="$(mktemp)"
    if ! (cd "$WEB" && npm ci --loglevel=error) >"$log" 2>&1; then
      # npm ci refuses a lock file that lacks an optional dependency the registry does not have
      # (vite 8 names a Windows-only one); npm install --no-save installs from the same lock file
      # and leaves it unchanged.
      grep -E "^npm error (Missing|Invalid|code)" "$log" | head -5 >&2 || true
      say "npm ci refused the lock file (above); installing from it with npm install --no-save"
      (cd "$WEB" && npm install --no-save --loglevel=error) || { rm -f "$log"; die "npm install failed (see above)"; }
    fi
    rm -f "$log"
  else
    say "npm install (no package-lock.json yet: commit the one this writes)"
    (cd "$WEB" && npm install --loglevel=error) || die "npm install failed (see above)"
  fi
  deps_key > "$stamp"
  say "node_modules ready in $((SECONDS - T))s"
}

# ---- the sources' hash: what the bundle is made from
source_hash() {
  (
    cd "$WEB"
    {
      for d in src public; do [ ! -d "$d" ] || find "$d" -type f -print0; done
      find . -maxdepth 1 -type f ! -name '*.md' ! -name '.*' -print0
    } | sort -z | xargs -0 sha256sum
    node --version
  ) | sha256sum | cut -c1-16
}

build() {
  local key
  key="$(source_hash)"
  if [ "${WEB_FORCE:-0}" != 1 ] && [ -f "$DIST/index.html" ] && [ -f "$DIST/$STAMP" ] \
     && [ "$(cat "$DIST/$STAMP")" = "$key" ]; then
    say "web/dist up to date ($key)"
  else
    ensure_modules
    local T=$SECONDS
    say "building the dashboard (npm run build)"
    (cd "$WEB" && npm run build --silent) || die "npm run build failed (see above)"
    [ -f "$DIST/index.html" ] || die "npm run build wrote no web/dist/index.html (vite base must be '/app/')"
    printf '%s' "$key" > "$DIST/$STAMP"
    say "built web/dist in $((SECONDS - T))s ($key)"
  fi
  package "$key"
}

# ---- into the function's package: a Lambda response is <= 6 MB, base64 adds a third
package() {
  local key="$1" big
  if [ -f "$PACKAGE/$STAMP" ] && [ "$(cat "$PACKAGE/$STAMP")" = "$key" ]; then
    say "functions/dashboard/static up to date"
    return
  fi
  big="$(find "$DIST" -type f -size +4096k -printf '%P (%s bytes)\n')"
  [ -z "$big" ] || die "files over 4 MB cannot be served by a function (split them): $big"
  rm -rf "$PACKAGE.tmp" "$PACKAGE.old"
  cp -R "$DIST" "$PACKAGE.tmp"
  [ ! -e "$PACKAGE" ] || mv "$PACKAGE" "$PACKAGE.old"
  mv "$PACKAGE.tmp" "$PACKAGE"
  rm -rf "$PACKAGE.old"
  say "copied web/dist into functions/dashboard/static ($(du -sh "$PACKAGE" | cut -f1))"
}

sizes() {
  [ -d "$DIST" ] || die "no web/dist: run make web first"
  (cd "$DIST" && find . -type f ! -name '.*' | sort | while read -r f; do
    printf '%10d %10d  %s\n' "$(wc -c <"$f")" "$(gzip -9 -c "$f" | wc -c)" "${f#./}"
  done) | { printf '%10s %10s  %s\n' bytes gzipped file; cat; }
}

case "$COMMAND" in
  build) build ;;
  test)
    ensure_modules
    if node -e 'process.exit(require("./web/package.json").scripts?.test ? 0 : 1)'; then
      say "front-end unit tests (npm test)"
      (cd "$WEB" && CI=1 npm test --silent) || die "front-end unit tests failed (see above)"
    else
      say "web/package.json has no test script"
    fi
    ;;
  sizes) sizes ;;
  *) die "unknown command $COMMAND (build | test | sizes)" ;;
esac
