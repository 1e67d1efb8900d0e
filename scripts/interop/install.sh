#!/usr/bin/env bash
# Installs the loopback peers the interop tests use: Debian's nginx, httpbin served by
# gunicorn, websocketd and python3-websockets (WebSocket echoes), python3-aiohttp (an event
# stream), caddy (HTTP/3); scripts/interop/peers.mjs starts them. Idempotent and quiet. On CI (CI=true,
# where the peers are required) any failure exits 1; elsewhere it says why and exits 0, and
# the interop tests then skip, saying why.
set -euo pipefail

case "${CI:-}" in '' | 0 | false) on_ci=0 ;; *) on_ci=1 ;; esac
# give_up MESSAGE: the peers cannot be installed.
give_up() {
  if [ "$on_ci" = 1 ]; then
    echo "interop: $1 (CI=$CI requires the peers: failing)"
    exit 1
  fi
  echo "interop: $1 (the interop tests will be skipped)"
  exit 0
}

packages=(nginx python3-httpbin gunicorn tinyproxy dante-server unbound chromium websocketd python3-websockets python3-aiohttp caddy)

have_all() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || return 1
  [ -x /usr/bin/gunicorn ] || /usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1 || return 1
  /usr/bin/python3 -c 'import httpbin' >/dev/null 2>&1 || return 1
  [ -x /usr/bin/tinyproxy ] || return 1
  [ -x /usr/sbin/danted ] || return 1
  [ -x /usr/sbin/unbound ] || return 1
  [ -x /usr/bin/chromium ] || return 1
  [ -x /usr/bin/websocketd ] || return 1
  /usr/bin/python3 -c 'import websockets, aiohttp' >/dev/null 2>&1 || return 1
  [ -x /usr/bin/caddy ] || return 1
}

if have_all; then
  echo "interop: peers already installed (${packages[*]})"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  give_up "apt-get is not available; cannot install ${packages[*]}"
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    sudo=(sudo -n)
  else
    give_up "not running as root (and no passwordless sudo); cannot install ${packages[*]}"
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "interop: installing ${packages[*]} with apt-get"
if ! "${sudo[@]}" apt-get update -qq >/dev/null; then
  give_up "apt-get update failed"
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; then
  give_up "apt-get install ${packages[*]} failed"
fi
# Where an init system runs, Debian starts the packaged nginx on :80 right after installing it;
# the tests start their own on free ports, so stop the one this install started.
if [ -f /run/nginx.pid ]; then "${sudo[@]}" nginx -s stop >/dev/null 2>&1 || true; fi
# Likewise caddy's packaged service (on :80).
if command -v systemctl >/dev/null 2>&1; then "${sudo[@]}" systemctl stop caddy >/dev/null 2>&1 || true; fi
if [ -f /run/unbound.pid ]; then "${sudo[@]}" kill "$(cat /run/unbound.pid)" >/dev/null 2>&1 || true; fi
if have_all; then echo "interop: peers installed"; else give_up "installed, but some peer is still missing"; fi
