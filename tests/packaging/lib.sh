# shellcheck shell=bash disable=SC2034 # the variables set here are for the scripts that source this
# Shared by the packaging tests (bash). Each test: SOURCE_DIR BUILD_DIR as arguments.
set -euo pipefail
SOURCE_DIR=$(realpath "$1")
BUILD_DIR=$(realpath "$2")
OUTPUT_DIR=$BUILD_DIR/test-output
mkdir -p "$OUTPUT_DIR"
failures=0

pass() { echo "PASS: $*"; }
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# check "what" command...: the command must succeed.
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}
require_root() {
  [ "$(id -u)" -eq 0 ] || { echo "this test installs packages and needs root" >&2; exit 1; }
}

# Polls "$@" every 0.1 s for up to $timeout seconds (default 10).
wait_for() {
  local timeout=${timeout:-10} tries
  for ((tries = 0; tries < timeout * 10; tries++)); do
    "$@" && return 0
    sleep 0.1
  done
  return 1
}

deb_file() { ls "$BUILD_DIR"/debs/"$1"_*.deb 2>/dev/null | head -n 1; }

# An X server of our own on a free display, without access control, so that a client started
# with `env -i DISPLAY=...` can connect. Sets XVFB_PID and DISPLAY_NAME.
start_xvfb() {
  local fifo display
  fifo=$(mktemp -u)
  mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$fifo" 2>/dev/null &
  XVFB_PID=$!
  read -r display <"$fifo"
  rm -f "$fifo"
  DISPLAY_NAME=":$display"
}

# The PID of the process owning a name on the system bus, or nothing.
bus_name_owner_pid() {
  dbus-send --system --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID "string:$1" 2>/dev/null | awk '/uint32/ {print $2}'
}
