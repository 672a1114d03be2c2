#!/usr/bin/env bash
# The fault figures README's Operations section quotes: readiness flip times when Redis stops, hangs or restarts
# and when Kratos stops, and how fast "sign out on all devices" reaches another device on this instance and on
# another. Needs redis-server; builds in Release; prints a Markdown table. Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build -c Release -v quiet -nologo src/Gateway/Gateway.csproj >/dev/null
dotnet build -c Release -v quiet -nologo bench/Bench/Bench.csproj >/dev/null
exec dotnet bench/Bench/bin/Release/net10.0/Bench.dll faults "$PWD" Release
