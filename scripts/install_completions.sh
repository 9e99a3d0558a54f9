#!/usr/bin/env bash
# Shell completions (bash, zsh, fish) and man pages for every tool, from ArgumentParser's own
# generators: `TOOL --generate-completion-script SHELL` and the generate-manual plugin.
#   bash scripts/install_completions.sh              (into PREFIX=/usr/local)
#   PREFIX=$HOME/.local bash scripts/install_completions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=${PREFIX:-/usr/local}
SCRATCH=${SCRATCH:-.build}
TOOLS=(nmt-vocab nmt-train nmt-translate nmt-fill nmt-lm nmt-serve nmt-bench)
swift build -c release --scratch-path "$SCRATCH" >&2
B="$SCRATCH/release"
mkdir -p "$PREFIX/share/bash-completion/completions" "$PREFIX/share/zsh/site-functions" \
         "$PREFIX/share/fish/vendor_completions.d" "$PREFIX/share/man/man1"
for t in "${TOOLS[@]}"; do
    "$B/$t" --generate-completion-script bash > "$PREFIX/share/bash-completion/completions/$t"
    "$B/$t" --generate-completion-script zsh > "$PREFIX/share/zsh/site-functions/_$t"
    "$B/$t" --generate-completion-script fish > "$PREFIX/share/fish/vendor_completions.d/$t.fish"
done
# Man pages: the plugin writes TOOL/TOOL.1 for every executable under .build/plugins/GenerateManual/outputs/.
swift package --scratch-path "$SCRATCH" plugin generate-manual >&2
find "$SCRATCH/plugins/GenerateManual/outputs" -name '*.1' -exec cp {} "$PREFIX/share/man/man1/" \;
echo "installed completions for ${#TOOLS[@]} tools into $PREFIX/share/{bash-completion,zsh,fish} and man pages into $PREFIX/share/man/man1" >&2
