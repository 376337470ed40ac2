#!/usr/bin/env bash
# Opens a tephra report in headless Chromium (Debian's `chromium` package), takes a screenshot and
# checks that the page rendered its charts: at least MIN_CHARTS inline <svg> elements with drawn
# shapes in the rendered DOM, no <script> element, and a screenshot that is not blank.
#
#   scripts/check_report_html.sh [REPORT_DIR] [MIN_CHARTS]
#
# Without REPORT_DIR it runs the quickstart scenario into a temporary folder first. The screenshot
# is left at REPORT_DIR/screenshot.png, the rendered DOM at REPORT_DIR/rendered-dom.html. Exit 0 when every check passes, 1 otherwise, 2 when no
# Chromium is installed (apt-get install chromium).
set -euo pipefail

dir="${1:-}"
min_charts="${2:-4}"
if [[ -z "$dir" ]]; then
    dir="$(mktemp -d)/quickstart"
    cargo run --release --quiet -- run --quiet --out "$dir"
fi
html="$(cd "$dir" && pwd)/report.html"
[[ -f "$html" ]] || { echo "no report.html in $dir" >&2; exit 1; }

browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
[[ -n "$browser" ]] || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }

flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --disable-dev-shm-usage)
shot="$dir/screenshot.png"
"$browser" "${flags[@]}" --window-size=1100,4000 --screenshot="$shot" "file://$html" >/dev/null 2>&1
dom="$dir/rendered-dom.html"
"$browser" "${flags[@]}" --dump-dom "file://$html" >"$dom" 2>/dev/null

python3 - "$shot" "$min_charts" "$dom" <<'PY'
import re, sys, struct
shot, min_charts = sys.argv[1], int(sys.argv[2])
dom = open(sys.argv[3], encoding="utf-8").read()
ok = True
svgs = re.findall(r"<svg\b.*?</svg>", dom, flags=re.S)
drawn = [s for s in svgs if re.search(r"<(path|polyline|polygon|rect|line)\b", s)]
print(f"rendered DOM: {len(svgs)} svg elements, {len(drawn)} with drawn shapes")
if len(drawn) < min_charts:
    print(f"FAIL: expected at least {min_charts} charts with drawn shapes"); ok = False
if re.search(r"<script\b", dom, flags=re.I):
    print("FAIL: the page contains a <script> element"); ok = False
data = open(shot, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("FAIL: screenshot is not a PNG"); ok = False
else:
    # A blank page compresses to a few KB (white rows filter to zeros); charts and tables do not.
    w, h = struct.unpack(">II", data[16:24])
    print(f"screenshot {shot}: {w}x{h}, {len(data) // 1024} KiB")
    if len(data) < 40 * 1024:
        print("FAIL: the screenshot looks blank"); ok = False
print("report renders: ok" if ok else "report renders: FAILED")
sys.exit(0 if ok else 1)
PY
