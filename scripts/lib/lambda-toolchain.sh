# Sourced by scripts/package and scripts/lambda-build: puts cargo-lambda (with Zig) and the SAM CLI
# on PATH, installing them from PyPI into one virtualenv when missing, and the aarch64 standard
# library (rustup). Versions pinned so packages and builds are reproducible.
CARGO_LAMBDA_VERSION=1.9.2
SAM_CLI_VERSION=1.170.0

lambda_toolchain() {
  local venv="${SEIKYU_LAMBDA_VENV:-$ROOT/.venv-lambda}"
  local want=()
  [ -x "$venv/bin/cargo-lambda" ] || command -v cargo-lambda >/dev/null || want+=("cargo-lambda==$CARGO_LAMBDA_VERSION")
  if [ "${1:-}" = "--sam" ]; then
    [ -x "$venv/bin/sam" ] || command -v sam >/dev/null || want+=("aws-sam-cli==$SAM_CLI_VERSION")
  fi
  if [ ${#want[@]} -gt 0 ]; then
    echo "== installing ${want[*]} into $venv (PyPI)" >&2
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${want[@]}"
  fi
  [ -d "$venv/bin" ] && PATH="$(cd "$venv" && pwd)/bin:$PATH"
  export PATH
  # SAM CLI: no usage reports from builds and tests.
  export SAM_CLI_TELEMETRY=0
  rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu >&2
}

# The seikyu-common features a function crate asks for, sorted and comma-separated ("s3,sqs").
common_features() {
  grep -m1 '^seikyu-common' "$ROOT/functions/$1/Cargo.toml" | grep -o '"[a-z0-9-]*"' | tr -d '"' | sort | paste -sd, - || true
}

# `-p` arguments for every function crate asking for the same common features as $1. Cargo
# unifies features across the packages of one build, so a build never mixes feature sets; and
# scripts/package and scripts/lambda-build build a function with exactly the same arguments, so
# that `sam build` after scripts/package finds every binary fresh.
feature_group_args() {
  local key f
  key=$(common_features "$1")
  for f in $(ls "$ROOT/functions"); do
    [ "$(common_features "$f")" = "$key" ] && printf -- '-p %s ' "$f"
  done
  return 0
}
