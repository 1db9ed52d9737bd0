#!/bin/sh
# Entry point of compose/postgres: initialise the cluster on the first start (password, init scripts), then run
# the server in the foreground as the postgres user.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
USER_NAME=${POSTGRES_USER:-postgres}

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /run/postgresql
  chown -R postgres:postgres "$PGDATA" /run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password=${POSTGRES_PASSWORD:-}
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(cat "$POSTGRES_PASSWORD_FILE"); fi
  if [ -z "$password" ]; then
    echo "postgres: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$password" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options
  "$BIN/initdb" -D "$PGDATA" -U "$USER_NAME" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start
  for script in /docker-entrypoint-initdb.d/*; do
    case "$script" in
      *.sh) echo "postgres: running $script"; POSTGRES_USER=$USER_NAME sh "$script" ;;
      *.sql) echo "postgres: running $script"; psql -v ON_ERROR_STOP=1 -U "$USER_NAME" -d postgres -f "$script" ;;
      *) ;;
    esac
  done
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop
fi

exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
