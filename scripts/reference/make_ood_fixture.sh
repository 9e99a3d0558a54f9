#!/usr/bin/env bash
# make_ood_fixture.sh: regenerate Tests/NMTTextTests/Fixtures/ood.de.txt, an
# out-of-domain German test fixture for the open-vocabulary (subword) work.
#
# Where the text comes from
#   The German message catalogues (.mo files) that Debian 12 packages install
#   under /usr/share/locale/de/LC_MESSAGES/. The catalogues and the Debian
#   packages that ship them are fixed and listed in CATALOGUES below, all
#   "Essential: yes" packages of Debian 12 (grep, sed, findutils), so they
#   are present on any Debian system. The exact
#   package versions used are printed to stderr via dpkg-query and recorded in
#   Tests/NMTTextTests/Fixtures/README.md; a different package version may
#   give a different fixture.
#
# License situation
#   The translations are part of free software (GNU projects translated by
#   the Translation Project). They are distributed under the same licence as
#   their package, GPL-3.0-or-later for all of the packages above (see
#   /usr/share/doc/<package>/copyright), which is GPL-compatible. The lines
#   are used verbatim (only whitespace normalised) as test data, not as part
#   of the swift-nmt program.
#
# What it does
#   For each catalogue, in the listed order: msgunfmt | msgconv to UTF-8 |
#   msgexec 0 (every msgstr, plural forms included, NUL-separated); the header
#   entry is dropped. Each msgstr is split into lines (\n, \r), tabs become
#   spaces, runs of whitespace are collapsed to one space and the line is
#   trimmed. Dropped: empty lines, lines without any letter, lines longer
#   than 200 characters (Unicode code points). Lines are de-duplicated across
#   all catalogues keeping the first occurrence; nothing is sorted (catalogue
#   order; msgunfmt emits entries in .mo order, i.e. by English msgid).
#   Placeholders (%s, %d, %<PRIuMAX>...), options (--verbose), file names and
#   quotes are kept exactly as they are. The first MAX_LINES lines are written
#   as UTF-8, one per line, with a trailing newline.
#
# Usage: scripts/reference/make_ood_fixture.sh [OUTPUT]   (run as root, or
#        with the packages already installed; deterministic for fixed
#        package versions)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$REPO_ROOT/Tests/NMTTextTests/Fixtures/ood.de.txt}"
MAX_LINES=400
MAX_CHARS=200
LOCALE_DIR=/usr/share/locale/de/LC_MESSAGES

# catalogue (file name under $LOCALE_DIR) : Debian package that ships it
CATALOGUES=(
    "grep.mo:grep"
    "sed.mo:sed"
    "findutils.mo:findutils"
)
# (With these package versions the 400 lines are: grep 181, sed 142,
# findutils 77; findutils is cut off at the 400-line limit.)

export LC_ALL=C.UTF-8

apt_updated=0
apt_install() {
    if [ "$apt_updated" -eq 0 ]; then
        apt-get update -qq >&2
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# Tools: gettext (msgunfmt, msgconv, msgexec) and python3 (line filtering).
if ! command -v msgunfmt >/dev/null || ! command -v msgexec >/dev/null \
    || ! command -v msgconv >/dev/null; then
    apt_install gettext
fi
if ! command -v python3 >/dev/null; then
    apt_install python3
fi

# Catalogues: install the package when missing; if it is installed but the
# .mo is missing (e.g. a dpkg path-exclude for /usr/share/locale), reinstall.
for entry in "${CATALOGUES[@]}"; do
    mo="${entry%%:*}"
    pkg="${entry#*:}"
    if [ ! -f "$LOCALE_DIR/$mo" ]; then
        if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            apt_install --reinstall "$pkg"
        else
            apt_install "$pkg"
        fi
    fi
    if [ ! -f "$LOCALE_DIR/$mo" ]; then
        echo "error: $LOCALE_DIR/$mo still missing after installing $pkg" \
             "(check /etc/dpkg/dpkg.cfg.d/ for a path-exclude of /usr/share/locale)" >&2
        exit 1
    fi
done

echo "make_ood_fixture: sources (catalogue, package, version):" >&2
for entry in "${CATALOGUES[@]}"; do
    mo="${entry%%:*}"
    pkg="${entry#*:}"
    echo "  $LOCALE_DIR/$mo  $pkg $(dpkg-query -W -f='${Version}' "$pkg")" >&2
done
echo "  tool: gettext $(dpkg-query -W -f='${Version}' gettext 2>/dev/null || echo '?')" >&2

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# One NUL-separated stream of msgstr texts per catalogue, in listed order.
for i in "${!CATALOGUES[@]}"; do
    entry="${CATALOGUES[$i]}"
    mo="${entry%%:*}"
    # msgunfmt warns about \a and \r in some messages; that is expected.
    msgunfmt "$LOCALE_DIR/$mo" 2>/dev/null \
        | msgconv --to-code=UTF-8 \
        | msgexec --input=- 0 > "$tmp/$(printf '%02d' "$i").bin"
done

mkdir -p "$(dirname "$OUT")"
python3 - "$tmp" "$OUT" "$MAX_LINES" "$MAX_CHARS" "${CATALOGUES[@]}" <<'PY'
import os
import re
import sys

tmp, out, max_lines, max_chars = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
catalogues = [e.split(":", 1)[0] for e in sys.argv[5:]]

seen = set()
lines = []
per_catalogue = []
for i, mo in enumerate(catalogues):
    with open(os.path.join(tmp, "%02d.bin" % i), "rb") as f:
        data = f.read().decode("utf-8")  # strict: fails on invalid UTF-8
    taken = 0
    for record in data.split("\0"):
        # Header entry (msgid ""): metadata, not prose.
        if re.search(r"^(Project-Id-Version|Content-Type):", record, re.M):
            continue
        for line in re.split(r"\r\n|\r|\n", record):
            line = re.sub(r"\s+", " ", line.replace("\t", " ")).strip()
            if not line or not any(c.isalpha() for c in line):
                continue
            if len(line) > max_chars or line in seen:
                continue
            seen.add(line)
            if len(lines) < max_lines:
                lines.append(line)
                taken += 1
    per_catalogue.append((mo, taken))

tmp_out = out + ".tmp"
with open(tmp_out, "w", encoding="utf-8", newline="\n") as f:
    f.write("".join(l + "\n" for l in lines))
os.replace(tmp_out, out)
for mo, taken in per_catalogue:
    print("  %-16s %4d lines" % (mo, taken), file=sys.stderr)
print("make_ood_fixture: wrote %d lines to %s (%d distinct candidate lines)"
      % (len(lines), out, len(seen)), file=sys.stderr)
if len(lines) < max_lines:
    sys.exit("error: only %d lines, expected %d" % (len(lines), max_lines))
PY
