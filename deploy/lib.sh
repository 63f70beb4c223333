# Shell functions shared by ./run and ./test.

# start_redis <port> <dir> <appendonly yes|no>: a redis-server of our own on
# loopback, daemonised, its pid in <dir>/redis.pid. Fails if it does not answer.
start_redis() {
  local port=$1 dir=$2 aof=$3
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --appendonly "$aof" --appendfsync everysec --save "" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    >/dev/null 2>&1 || return 1
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# stop_redis <port> <dir>: asks it to shut down (flushing the AOF).
stop_redis() {
  local port=$1 dir=$2
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
  if [ -f "$dir/redis.pid" ]; then
    local pid
    pid=$(cat "$dir/redis.pid")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

# free_port: a loopback TCP port nobody listens on.
free_port() {
  local port
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}
