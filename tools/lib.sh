# shellcheck shell=bash
# Sourced by ./x and every tools/ script it runs: the shared paths, pinned versions and helpers,
# so each script also works when run on its own.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit

# Persistent caches outside the clone, so a fresh clone rebuilds only what changed.
export AFE_CACHE="${AFE_CACHE:-$HOME/.cache/agent-flan-explorer}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$AFE_CACHE/target}"
export WASM_TARGET_DIR="${WASM_TARGET_DIR:-$AFE_CACHE/target-wasm}"
# The tools folder is versioned: bumping it reinstalls every cargo-installed tool.
TOOLS_VERSION=v1
export TOOLS_DIR="$AFE_CACHE/tools-$TOOLS_VERSION"
# shellcheck disable=SC2034  # read by the scripts that source this file
MODEL_DIR="$AFE_CACHE/models" DEMO_MODEL=SmolLM2-135M-Instruct.Q4_1.gguf
LLAMA_CPP_PYTHON_VERSION=0.3.16
export LLAMA_VENV="$AFE_CACHE/llama-venv-$LLAMA_CPP_PYTHON_VERSION"
export PATH="$TOOLS_DIR/bin:$ROOT/node_modules/.bin:$PATH"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$AFE_CACHE/xdg-runtime}"
export CHROMEDRIVER=/usr/bin/chromedriver
export TRUNK_SKIP_VERSION_CHECK=true

log() { printf '\033[1m[x]\033[0m %s\n' "$*" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve_dist DIR PORT [BASE_PATH]: starts tools/serve.py in the background (its pid in
# SERVER_PID); fails if it does not come up, because a port taken by another server must not
# silently serve someone else's files.
serve_dist() {
  python3 tools/serve.py "$1" "$2" ${3:+"$3"} >/dev/null 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || { log "the static server on port $2 did not start"; return 1; }
    curl -sf "http://127.0.0.1:$2${3:-/}" >/dev/null && return 0
    sleep 0.1
  done
  log "the static server on port $2 did not answer"; return 1
}
