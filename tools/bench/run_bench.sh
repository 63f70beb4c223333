#!/usr/bin/env bash
# The benchmark: the suite against the physical-limit reference (a bare gRPC
# server doing one Redis SET per Put), in the same run, on the same machine,
# with the same load generator and the same Redis. Absolute figures drift
# from run to run; the ratios are what to compare.
#
# Usage: tools/bench/run_bench.sh [build-dir]      (default: build-release)
#
# Environment (defaults in brackets):
#   LIMIT_DIR    the limit server's sources [<repo>/../shared/bench/limit]
#   LIMIT_BUILD  where to build it [<repo>/build-limit]
#   CONNECTIONS [8] CONCURRENCY [16] DURATION_S [10] WARMUP_S [2]
#   RATE [2000]  calls/s of the open-loop create-participant run
#   PRELOAD [1000]  participants created before get-participant
#   REFERRAL_PRELOAD [200]  participants (each with a consent naming the
#                sub-contractor) created before send-referral and
#                get-referral; get-referral sends each one allocation
#   REFERRAL_CONCURRENCY [$CONCURRENCY]  send-referral: calls in flight per
#                connection. Referral steps run on workers of their own, so
#                sends waiting on the consent check never take the workers
#                that answer it.
#   JOBS [2]     build parallelism
#   BUILD [1]    0: use the binaries as they are
#   SUITE [1]    0: load the limit server only (no suite needed)
#
# Both servers and the load generator share the machine's cores: that is
# the point, the limit pays the same rent as the suite.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-build-release}
[[ $build == /* ]] || build=$repo/$build
LIMIT_DIR=${LIMIT_DIR:-$repo/../shared/bench/limit}
LIMIT_BUILD=${LIMIT_BUILD:-$repo/build-limit}
CONNECTIONS=${CONNECTIONS:-8}
CONCURRENCY=${CONCURRENCY:-16}
DURATION_S=${DURATION_S:-10}
WARMUP_S=${WARMUP_S:-2}
RATE=${RATE:-2000}
PRELOAD=${PRELOAD:-1000}
REFERRAL_PRELOAD=${REFERRAL_PRELOAD:-200}
REFERRAL_CONCURRENCY=${REFERRAL_CONCURRENCY:-$CONCURRENCY}
JOBS=${JOBS:-2}
BUILD=${BUILD:-1}
SUITE=${SUITE:-1}

client=$build/tools/employability
loadgen=$build/tools/employability_loadgen
suite_bin=$build/services/suite/employability_suite
admin_bin=$build/services/partners/employability_admin
limit_bin=$LIMIT_BUILD/limit_server

log() { echo "run_bench: $*" >&2; }
die() { log "$*"; exit 1; }

build_all() {
  local targets=(employability employability_loadgen)
  [[ $SUITE == 1 ]] && targets+=(employability_suite employability_admin)
  if [[ ! -f $build/CMakeCache.txt ]]; then
    cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build" -j"$JOBS" --target "${targets[@]}" >/dev/null
  [[ -d $LIMIT_DIR ]] || die "no limit server sources at $LIMIT_DIR (set LIMIT_DIR)"
  cmake -S "$LIMIT_DIR" -B "$LIMIT_BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$LIMIT_BUILD" -j"$JOBS" >/dev/null
}

# A loopback port nothing listens on (a race, but a short one).
free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
}

pids=()
tmp=$(mktemp -d -t employability-bench.XXXXXX)
stop_all() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap stop_all EXIT

# wait_for <what> <seconds> <command...>: retries the command until it works.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up; logs in $tmp"
    sleep 0.2
  done
}

start_redis() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp" \
    --appendonly yes --appendfsync everysec --save '' \
    --logfile "$tmp/redis.log" &
  redis_pid=$!
  pids+=("$redis_pid")
  wait_for redis 10 bash -c "(exec 3<>/dev/tcp/127.0.0.1/$redis_port)"
}

start_limit() {
  limit_port=$(free_port)
  "$limit_bin" callback "127.0.0.1:$limit_port" "$redis_port" \
    >"$tmp/limit.log" 2>&1 &
  limit_pid=$!
  pids+=("$limit_pid")
  wait_for "limit server" 10 "$client" --address="127.0.0.1:$limit_port" \
    call limit.Limit/Echo ''
}

# The suite's listening flags: --listen/--metrics_listen (host:port) in
# common/server/service_main.cc, or --port/--metrics_port.
suite_listen_flags() {
  local help
  help=$("$suite_bin" --helpfull 2>&1 || true)
  if grep -q -- '--metrics_listen' <<<"$help"; then
    echo "--listen=127.0.0.1:$1 --metrics_listen=127.0.0.1:$2"
  else
    echo "--port=$1 --metrics_port=$2"
  fi
}

start_suite() {
  suite_port=$(free_port)
  local metrics_port listen
  metrics_port=$(free_port)
  read -ra listen <<<"$(suite_listen_flags "$suite_port" "$metrics_port")"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/token-key"
  export EMPLOYABILITY_TOKEN_KEYS="bench:$tmp/token-key"
  export EMPLOYABILITY_KEY_SECRET=benchmark-only
  "$suite_bin" "${listen[@]}" --redis="127.0.0.1:$redis_port" \
    >"$tmp/suite.log" 2>&1 &
  suite_pid=$!
  pids+=("$suite_pid")
  wait_for suite 30 "$client" --address="127.0.0.1:$suite_port" health
  authorise_loadgen
  record_referral_terms
}

# The bootstrapped prime's admin, who sets the bench up.
admin_token=
# as_admin <what> <method> <request>: one call as the admin, or the bench
# stops saying what could not be set up.
as_admin() {
  "$client" --address="127.0.0.1:$suite_port" --token="$admin_token" \
    call "employability.partners.v1.$2" "$3" >>"$tmp/setup.log" 2>&1 ||
    die "could not $1 (see $tmp/setup.log)"
}

# The load runs as an adviser of a bootstrapped prime provider, with a
# development-mode token (the bench's own throwaway Redis).
authorise_loadgen() {
  local redis=--redis=127.0.0.1:$redis_port
  admin_token=$("$admin_bin" bootstrap "$redis" --organisation_id=bench-org \
    --organisation_name="Bench Prime" --admin_id=admin --admin_name="Bench Admin" \
    --admin_email=admin@bench.example 2>>"$tmp/admin.log") ||
    die "bootstrap failed (see $tmp/admin.log)"
  as_admin "add the adviser" Partners/CreateStaffUser \
    'parent: "organisations/bench-org" staff_user_id: "loadgen" request_id: "bench"
     staff_user { display_name: "Load Generator" email: "loadgen@bench.example"
                  role: ADVISER }'
  EMPLOYABILITY_TOKEN=$("$admin_bin" token --development_mode "$redis" \
    --organisation=bench-org --user=loadgen 2>>"$tmp/admin.log") ||
    die "no development token (see $tmp/admin.log)"
  export EMPLOYABILITY_TOKEN
}

# What a referral needs, made by the prime's admin: a commissioner and a
# sub-contractor in the directory, the commissioner's contract with the
# prime (England and Wales, 2024..2027: the calendar's years), the
# sub-contractor's sub-contract under it, and an ACTIVE data-sharing
# agreement between prime and sub-contractor, in force since yesterday.
# The loadgen enrols its participants under the contract.
referral_contract=bench-contract
referral_receiver=bench-sub
record_referral_terms() {
  local since=$(($(date +%s) - 86400))
  as_admin "add the commissioner" Partners/CreateOrganisation \
    'organisation_id: "bench-commissioner" request_id: "bench-commissioner"
     organisation { display_name: "Bench Commissioner" type: COMMISSIONER }'
  as_admin "add the sub-contractor" Partners/CreateOrganisation \
    "organisation_id: \"$referral_receiver\" request_id: \"bench-sub\"
     organisation { display_name: \"Bench Sub-contractor\" type: SUB_CONTRACTOR
                    areas_served: \"M1\" }"
  as_admin "record the contract" Agreements/CreateContract \
    "contract_id: \"$referral_contract\" request_id: \"bench-contract\"
     contract { display_name: \"Bench Contract\" programme: \"Restart Scheme\"
       commissioner: \"bench-commissioner\" prime_provider: \"bench-org\"
       contract_area: \"North West\" area_districts: \"M1\"
       nation: ENGLAND_AND_WALES
       start_date { year: 2024 month: 1 day: 1 }
       end_date { year: 2027 month: 12 day: 31 }
       expected_referrals: 100000 payment_model: SERVICE_FEE_AND_OUTCOMES }"
  as_admin "record the sub-contract" Agreements/CreateSubContract \
    "parent: \"contracts/$referral_contract\" request_id: \"bench-sub-contract\"
     sub_contract { sub_contractor: \"$referral_receiver\"
       start_date { year: 2024 month: 1 day: 1 }
       end_date { year: 2027 month: 12 day: 31 }
       expected_referrals: 50000 contracted_share_percent: 50
       payment_model: OUTCOME_BASED }"
  as_admin "record the data-sharing agreement" \
    Agreements/CreateDataSharingAgreement \
    "request_id: \"bench-sharing\"
     data_sharing_agreement { parties: \"bench-org\" parties: \"$referral_receiver\"
       purpose: \"Allocating participants' journeys to the sub-contractor\"
       data_categories: IDENTITY data_categories: CONTACT
       data_categories: EMPLOYMENT_HISTORY data_categories: BARRIERS
       lawful_basis: PUBLIC_TASK start_time { seconds: $since } status: ACTIVE }"
}

# load <address> <server pid> <loadgen flags...>: one run, one result line.
load() {
  local address=$1 pid=$2
  shift 2
  local line
  line=$("$loadgen" --address="$address" --server_pid="$pid" \
    --store_pid="$redis_pid" \
    --connections="$CONNECTIONS" --concurrency="$CONCURRENCY" \
    --duration_s="$DURATION_S" --warmup_s="$WARMUP_S" "$@") ||
    die "loadgen $* failed"
  echo "$line" >&2
  echo "$line" >>"$tmp/results"
}

run_all() {
  : >"$tmp/results"
  local limit=127.0.0.1:$limit_port
  load "$limit" "$limit_pid" --target=limit-echo
  load "$limit" "$limit_pid" --target=limit-put
  [[ $SUITE == 1 ]] || return 0
  local suite=127.0.0.1:$suite_port
  # The open-loop latency run comes first: after the closed-loop creates,
  # Redis rewrites its grown AOF in a forked child, which competes for the
  # same two cores and lands in whatever run comes next.
  load "$suite" "$suite_pid" --target=create-participant --rate="$RATE"
  load "$suite" "$suite_pid" --target=create-participant
  load "$suite" "$suite_pid" --target=get-participant --preload="$PRELOAD"
  local terms=(--contract="$referral_contract" --receiver="$referral_receiver"
    --preload="$REFERRAL_PRELOAD")
  load "$suite" "$suite_pid" --target=send-referral "${terms[@]}" \
    --concurrency="$REFERRAL_CONCURRENCY"
  load "$suite" "$suite_pid" --target=get-referral "${terms[@]}"
}

# field <name> <line>: the value of name=value in a result line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

# The result line of a target and mode.
result() { grep -E "^target=$1 mode=$2 " "$tmp/results" | tail -1 || true; }

errors_of() {
  local codes
  codes=$(tr ' ' '\n' <<<"$1" | grep -E '^[A-Z_]+=' | grep -v '^OK=' |
    paste -sd' ' - || true)
  echo "${codes:--}"
}

print_table() {
  printf '\n%-19s %-6s %-7s %9s %7s %7s %6s %9s %7s %8s  %s\n' target mode \
    load 'ok/s' 'p50 ms' 'p99 ms' 'cpu s' 'cpu us/ok' 'redis s' 'others s' \
    errors
  local line ok cpu per_call
  while read -r line; do
    ok=$(field ok_per_s "$line")
    cpu=$(field server_cpu_s "$line")
    per_call=$(awk -v c="${cpu:-0}" -v ok="$ok" -v w="$(field window_s "$line")" \
      'BEGIN { if (ok * w > 0) printf "%.1f", c * 1e6 / (ok * w); else print "-" }')
    printf '%-19s %-6s %-7s %9s %7s %7s %6s %9s %7s %8s  %s\n' \
      "$(field target "$line")" "$(field mode "$line")" "$(field load "$line")" \
      "$ok" "$(field p50_ms "$line")" "$(field p99_ms "$line")" "${cpu:--}" \
      "$per_call" "$(field store_cpu_s "$line")" "$(field other_cpu_s "$line")" \
      "$(errors_of "$line")"
  done <"$tmp/results"
  echo "cpu s: the server's CPU seconds in the window (cpu us/ok: per OK"
  echo "call); redis s: Redis's; others s: everything but the server, Redis"
  echo "and the load generator (a busy machine makes the figures worth less)."
}

# cpu_per_ok <line>: the server's CPU microseconds per OK call.
cpu_per_ok() {
  awk -v c="$(field server_cpu_s "$1")" -v ok="$(field ok_per_s "$1")" \
    -v w="$(field window_s "$1")" \
    'BEGIN { if (c != "" && ok * w > 0) printf "%.3f", c * 1e6 / (ok * w) }'
}

# ratio <label> <target> <target>: closed-loop throughput, then the
# server CPU per call, of the first over the second.
ratio() {
  local a b
  a=$(result "$2" closed)
  b=$(result "$3" closed)
  awk -v n="$1" -v ta="$(field ok_per_s "$a")" -v tb="$(field ok_per_s "$b")" \
    -v ca="$(cpu_per_ok "$a")" -v cb="$(cpu_per_ok "$b")" '
    function r(x, y) { return (x != "" && y > 0) ? sprintf("%.3f", x / y) : "-" }
    BEGIN { printf "%-18s %10s %14s\n", n, r(ta, tb), r(ca, cb) }'
}

print_ratios() {
  [[ $SUITE == 1 ]] || return 0
  echo
  printf '%-18s %10s %14s\n' 'closed loop' 'ok/s ratio' 'cpu/call ratio'
  ratio create/limit-put create-participant limit-put
  ratio get/limit-put get-participant limit-put
  ratio get/limit-echo get-participant limit-echo
  ratio send-ref/limit-put send-referral limit-put
  ratio get-ref/limit-put get-referral limit-put
}

main() {
  [[ $BUILD == 1 ]] && build_all
  [[ -x $loadgen && -x $client ]] || die "no tools in $build"
  [[ -x $limit_bin ]] || die "no limit server at $limit_bin"
  [[ $SUITE == 0 || -x $suite_bin ]] || die "no suite at $suite_bin"
  start_redis
  start_limit
  [[ $SUITE == 1 ]] && start_suite
  log "redis :$redis_port, limit :$limit_port${suite_port:+, suite :$suite_port};" \
    "$(nproc) cores, $CONNECTIONS x $CONCURRENCY, ${DURATION_S}s after ${WARMUP_S}s"
  run_all
  print_table
  print_ratios
}

main
