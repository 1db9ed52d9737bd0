#!/bin/sh
# Fills a secrets folder for compose.yaml with random values (run once; existing files are kept):
#   postgres_password        the PostgreSQL superuser's password
#   orgs_db_password         the password of the role that owns the orgs database (used on PostgreSQL's first start)
#   dialogue_db_password     the same for the dialogue database
#   orgs_database_url        ORGS_DATABASE_URL, with that password
#   dialogue_database_url    DIALOGUE_DATABASE_URL, with that password
#   service_secret           the key all three services sign service tokens with (*_SERVICE_SECRET)
#   gateway_session_secret   GATEWAY_SESSION_SECRET, which signs the browsers' session cookies
#   dialogue_smtp_password   DIALOGUE_SMTP_PASSWORD (empty: put the SMTP password here if the server needs one)
# The folder is readable by its owner only; the files in it are world-readable so that the containers' own users
# (postgres, ashyq) can read the bind-mounted copies.
# Usage: compose/make-secrets.sh [folder]   (default ./secrets, or ASHYQ_SECRETS)
set -eu
dir=${1:-${ASHYQ_SECRETS:-./secrets}}
mkdir -p "$dir"
chmod 700 "$dir"

random() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

put() {  # put NAME VALUE: write the file unless it exists
  if [ ! -e "$dir/$1" ]; then
    printf '%s' "$2" >"$dir/$1"
    chmod 644 "$dir/$1"
    echo "make-secrets: wrote $dir/$1"
  fi
}

put postgres_password "$(random)"
put orgs_db_password "$(random)"
put dialogue_db_password "$(random)"
put orgs_database_url "postgresql://orgs:$(cat "$dir/orgs_db_password")@postgres:5432/orgs"
put dialogue_database_url "postgresql://dialogue:$(cat "$dir/dialogue_db_password")@postgres:5432/dialogue"
put service_secret "$(random)"
put gateway_session_secret "$(random)"
put dialogue_smtp_password ""
