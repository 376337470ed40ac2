#!/usr/bin/env bash
# Opens a tephra report in headless Chromium (Debian's `chromium` package), takes a screenshot and
# checks that the page rendered its charts: at least MIN_CHARTS inline <svg> elements with drawn
# shapes in the rendered DOM, no <script> element, and a screenshot that is not blank.
#
#   scripts/check_report_html.sh [REPORT_DIR] [MIN_CHARTS]
#
# When a Python with the `markdown` package is found (Debian's python3-markdown), report.md is also
# rendered as a Markdown viewer would (tables extension): it must give tables, no raw <script>, and
# chart images whose files exist; the rendered page is screenshotted to REPORT_DIR/screenshot-md.png.
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

md_python=""
for p in python3 /usr/bin/python3; do
    if "$p" -c "import markdown" >/dev/null 2>&1; then md_python="$p"; break; fi
done
if [[ -z "$md_python" ]]; then
    echo "markdown check skipped: no Python with the markdown package (apt-get install python3-markdown)"
    exit 0
fi
"$md_python" - "$dir" "$min_charts" <<'PY'
import os, re, sys, markdown
d, min_charts = sys.argv[1], int(sys.argv[2])
text = open(os.path.join(d, "report.md"), encoding="utf-8").read()
html = markdown.markdown(text, extensions=["tables"])
imgs = re.findall(r'<img[^>]*src="([^"]+)"', html)
missing = [i for i in imgs if not os.path.exists(os.path.join(d, i))]
tables = html.count("<table>")
ok = tables >= 2 and len(imgs) >= min_charts and not missing and "<script" not in html.lower()
print(f"report.md: {tables} tables, {len(imgs)} chart images, {len(missing)} missing")
open(os.path.join(d, "report-md.html"), "w", encoding="utf-8").write(
    "<!DOCTYPE html><meta charset=utf-8><style>body{font-family:sans-serif;max-width:1000px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}</style>" + html)
print("report.md renders: ok" if ok else "report.md renders: FAILED")
sys.exit(0 if ok else 1)
PY
"$browser" "${flags[@]}" --window-size=1100,4000 --screenshot="$dir/screenshot-md.png" "file://$(cd "$dir" && pwd)/report-md.html" >/dev/null 2>&1
echo "markdown screenshot: $dir/screenshot-md.png"
