#!/usr/bin/env bash
# Runs a command (the test suite) against a real PostgreSQL and Redis of this machine.
#
#   tests/services.sh COMMAND [ARGS...]
#
# DATABASE_URL and CELERY_BROKER_URL are used as given. When one is unset, the local
# server is found on 127.0.0.1 (PGPORT / REDIS_PORT, default 5432 / 6379), started when it
# is installed but down, and the suite gets its own role and database (roadmap_test). When
# a server is not installed at all, the script stops at once with the command that
# installs it.
set -euo pipefail

PG_PORT="${PGPORT:-5432}"
REDIS_PORT="${REDIS_PORT:-6379}"
TEST_ROLE="roadmap_test"
TEST_DATABASE="roadmap_test"

say() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

wait_for() {
  for _ in $(seq 1 30); do "$@" && return 0; sleep 1; done
  return 1
}

# --- PostgreSQL ---------------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; }

pg_admin() {
  # psql as a superuser: over TCP as postgres (trust or ~/.pgpass), else as the postgres
  # system user through the local socket (Debian's peer authentication).
  if psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtA -c 'SELECT 1' >/dev/null 2>&1; then
    psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
  elif [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
    (cd / && su postgres -c "psql -p $PG_PORT -d postgres -v ON_ERROR_STOP=1 -qtA $(printf '%q ' "$@")")
  elif command -v sudo >/dev/null && sudo -n -u postgres true 2>/dev/null; then
    (cd / && sudo -n -u postgres psql -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qtA "$@")
  else
    return 1
  fi
}

ensure_postgres() {
  command -v psql >/dev/null && command -v pg_isready >/dev/null \
    || die "PostgreSQL is not installed. Install it with: sudo apt-get install -y postgresql"
  if ! pg_up; then
    ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
      || die "PostgreSQL is not installed. Install it with: sudo apt-get install -y postgresql"
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)"
    [ -n "$version" ] || die "PostgreSQL has no cluster. Create one with: sudo pg_createcluster --start 15 main"
    say "starting PostgreSQL $version on port $PG_PORT"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start \
      || die "could not start PostgreSQL. Start it with: sudo pg_ctlcluster $version main start"
    wait_for pg_up || die "PostgreSQL did not answer on 127.0.0.1:$PG_PORT within 30 s"
  fi
  pg_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_ROLE') THEN
        CREATE ROLE $TEST_ROLE LOGIN CREATEDB PASSWORD '$TEST_ROLE';
      END IF;
    END \$\$;" \
    || die "could not create the role $TEST_ROLE. Create it once with: sudo -u postgres createuser --createdb --pwprompt $TEST_ROLE (password $TEST_ROLE), or set DATABASE_URL"
  if [ -z "$(pg_admin -c "SELECT 1 FROM pg_database WHERE datname = '$TEST_DATABASE'")" ]; then
    pg_admin -c "CREATE DATABASE $TEST_DATABASE OWNER $TEST_ROLE" >/dev/null
  fi
  export DATABASE_URL="postgres://$TEST_ROLE:$TEST_ROLE@127.0.0.1:$PG_PORT/$TEST_DATABASE"
}

# --- Redis --------------------------------------------------------------------------------
redis_up() {
  # PING over bash's /dev/tcp: no client needed.
  local reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  [ "${reply%$'\r'}" = "+PONG" ]
}

ensure_redis() {
  if ! redis_up; then
    command -v redis-server >/dev/null \
      || die "Redis is not installed. Install it with: sudo apt-get install -y redis-server"
    say "starting Redis on port $REDIS_PORT"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
      >/dev/null || die "could not start Redis. Start it with: redis-server --daemonize yes --port $REDIS_PORT"
    wait_for redis_up || die "Redis did not answer on 127.0.0.1:$REDIS_PORT within 30 s"
  fi
  export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/15"
}

[ -n "${DATABASE_URL:-}" ] || ensure_postgres
[ -n "${CELERY_BROKER_URL:-}" ] || ensure_redis
say "database $(printf '%s' "$DATABASE_URL" | sed -E 's#//([^:@/]*):[^@]*@#//\1:***@#'), broker $CELERY_BROKER_URL"
exec "$@"
