#!/usr/bin/env bash
# The gateway's cost against bare YARP, measured side by side on loopback. Installs wrk, builds in Release, runs
# every arm (see bench/Bench/Runner.cs), writes bench/results.md and ends with "ratio: X.XX".
# Knobs: BENCH_ROUNDS (9), BENCH_SECONDS (5), BENCH_CONNECTIONS (32), KRATOS_DELAY_MS (20).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if ! command -v wrk >/dev/null 2>&1; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk util-linux >/dev/null
fi

dotnet build -c Release -v quiet -nologo src/Gateway/Gateway.csproj >/dev/null
dotnet build -c Release -v quiet -nologo bench/AllocProbe/AllocProbe.csproj >/dev/null
dotnet build -c Release -v quiet -nologo bench/Bench/Bench.csproj >/dev/null
exec dotnet bench/Bench/bin/Release/net10.0/Bench.dll run "$PWD" Release
