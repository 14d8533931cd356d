#!/usr/bin/env bash
# Stops the processes scripts/start-local.sh started (Postgres and Redis keep running).
cd "$(dirname "$0")/.." || exit 1
for pidfile in .local/*.pid; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  # Each process was started with setsid: its pid is its process group, so this ends pnpm and node.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  rm -f "$pidfile"
done
