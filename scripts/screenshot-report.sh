#!/usr/bin/env bash
# Render an HTML report with headless Chromium and save a PNG screenshot, to check it displays (then look at it).
#   scripts/screenshot-report.sh [REPORT_HTML] [OUT_PNG] [HEIGHT]
# Defaults: groundset-work/report.html -> report.png, 1280x3000. Needs Debian's `chromium`
# (apt-get install -y chromium). Works offline: the report has no external resources.
set -euo pipefail
report="${1:-groundset-work/report.html}"
out="${2:-report.png}"
height="${3:-3000}"
browser="$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)"
if [[ -z "$browser" ]]; then
  echo "chromium not found: install it with 'apt-get install -y chromium'" >&2
  exit 2
fi
[[ -f "$report" ]] || { echo "no report at $report: run 'groundset report' first" >&2; exit 2; }
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$profile" \
  --screenshot="$(realpath -m "$out")" --window-size="1280,${height}" "file://$(realpath "$report")" >/dev/null 2>&1
[[ -s "$out" ]] || { echo "chromium wrote no screenshot" >&2; exit 1; }
echo "screenshot: $out"
