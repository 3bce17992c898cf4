#!/usr/bin/env bash
# report_browser.sh KBENCH OUTDIR - a real smoke run, its `kbench report`,
# and the page rendered by headless Chromium: the screenshot must exist and
# show something (not a blank page), the DOM Chromium built must hold the
# roofline and the per-op bar charts as <svg> elements, and the browser log
# must have no console errors.  Exit 77 (skipped) without chromium.
set -eu
kb=$1; out=$2
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then echo "chromium is not installed: skipped (scripts/install-deps.sh installs it)"; exit 77; fi
rm -rf "$out"; mkdir -p "$out"
out=$(cd "$out" && pwd)

"$kb" run --suite smoke --threads 1,2 --repetitions 2 --min-time 0.005 --json "$out/smoke.json" >/dev/null
"$kb" report "$out/smoke.json" --baseline ref -o "$out/report.html"

# No network: the page must not need it, and the browser must not try.
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --enable-logging=stderr --v=0)
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$(mktemp -d "$out/profile.XXXX")" \
  --screenshot="$out/report.png" --window-size=1280,2000 "file://$out/report.html" >"$out/screenshot.log" 2>&1 || {
  echo "chromium failed:"; tail -20 "$out/screenshot.log"; exit 1; }
timeout 120 "$browser" "${flags[@]}" --user-data-dir="$(mktemp -d "$out/profile.XXXX")" \
  --dump-dom "file://$out/report.html" >"$out/dom.html" 2>"$out/dom.log" || {
  echo "chromium --dump-dom failed:"; tail -20 "$out/dom.log"; exit 1; }

[ -s "$out/report.png" ] || { echo "no screenshot: $out/report.png"; exit 1; }
# Blank?  Decompress the PNG's image data: a blank page filters to runs of
# 0 and 255 only; charts leave plenty of other bytes.
/usr/bin/python3 - "$out/report.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w, h = 8, b"", 0, 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": w, h = struct.unpack(">II", body[:8])
    if kind == b"IDAT": idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
other = sum(1 for b in raw if b not in (0, 255))
share = other / len(raw)
print(f"screenshot {w}x{h}: {share:.1%} of the image bytes are neither 0 nor 255")
if (w, h) != (1280, 2000) or share < 0.002:
    sys.exit("the screenshot is blank or the wrong size")
PY

fail=0
grep -q 'aria-label="roofline of machine' "$out/dom.html" || { echo "DOM lacks the roofline <svg>"; fail=1; }
for op in softmax attention quantize matmul; do
  grep -q "aria-label=\"$op throughput per case\"" "$out/dom.html" || { echo "DOM lacks the $op bar chart"; fail=1; }
done
n=$(grep -o '<circle ' "$out/dom.html" | wc -l)
[ "$n" -gt 10 ] || { echo "roofline has only $n points"; fail=1; }
if grep -Ei 'Uncaught|:CONSOLE[:(]' "$out/screenshot.log" "$out/dom.log"; then
  echo "the browser logged console errors"; fail=1
fi
[ $fail = 0 ] || exit 1
echo "report_browser: screenshot $out/report.png, $n roofline points, no console errors"
