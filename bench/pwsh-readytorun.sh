#!/usr/bin/env bash
# Prints the folder of a pwsh 7.6.10 whose assemblies are ReadyToRun images, making it once (about a minute).
#
# Why: users run pwsh as Microsoft's Linux packages (deb, rpm, tar.gz) install it, and those are built with
# PublishReadyToRun (PowerShell's build.psm1 and PowerShell.Common.props: every self-contained Release build);
# the only pwsh served here is the .NET tool package, which is framework-dependent IL and so JIT-compiles its
# whole start-up in every process (0.6-0.7 s of a bare `pwsh -c '$null'` here, against 0.3 s as ReadyToRun).
# This does what that build does to the tool's own files: crossgen2 (the SDK's package for this machine's
# .NET 10 runtime) compiles each assembly of the tool's unix folder, against that runtime and the folder;
# files that are not IL are copied as they are. The folder is cached under bench/results by pwsh's version and
# the runtime's, and made again when either changes.
set -euo pipefail
cd "$(dirname "$0")/.."
PWSH_VERSION=7.6.10
packages=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: *//')
tool="$packages/powershell/$PWSH_VERSION/tools/net10.0/any/unix"
[ -f "$tool/pwsh.dll" ] || { echo "pwsh-readytorun.sh: no pwsh $PWSH_VERSION tool at $tool (run tools/setup.sh)" >&2; exit 1; }
runtime=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2; d = $3 } END { gsub(/[\[\]]/, "", d); print v " " d }')
runtime_version=${runtime%% *}; runtime_dir="${runtime#* }/$runtime_version"
[ -d "$runtime_dir" ] || { echo "pwsh-readytorun.sh: no .NET 10 runtime found" >&2; exit 1; }
out="$(pwd)/bench/results/pwsh-r2r-$PWSH_VERSION-$runtime_version"
if [ -f "$out/.done" ]; then echo "$out"; exit 0; fi

dotnet restore bench/pwsh-readytorun/crossgen.csproj -nologo -v q >&2
crossgen=$(ls -d "$packages"/microsoft.netcore.app.crossgen2.linux-x64/10.*/tools/crossgen2 | sort -V | tail -1)
[ -x "$crossgen" ] || { echo "pwsh-readytorun.sh: crossgen2 was not restored" >&2; exit 1; }
rm -rf "$out"; mkdir -p "$out"
cp -r "$tool"/. "$out"/
echo "pwsh-readytorun.sh: compiling $tool with $crossgen against $runtime_dir" >&2
compiled=0; kept=0
for dll in "$tool"/*.dll; do
    name=$(basename "$dll")
    if "$crossgen" -r "$runtime_dir/*.dll" -r "$tool/*.dll" --targetos:linux --targetarch:x64 -O "$dll" -o "$out/$name.r2r" >/dev/null 2>&1; then
        mv "$out/$name.r2r" "$out/$name"; compiled=$((compiled + 1))
    else
        rm -f "$out/$name.r2r"; kept=$((kept + 1))
    fi
done
echo "pwsh-readytorun.sh: $compiled assemblies compiled, $kept kept as they were" >&2
touch "$out/.done"
echo "$out"
