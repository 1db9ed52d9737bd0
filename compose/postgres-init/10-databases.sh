#!/bin/sh
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): one role and one database per service,
# each role's password from its secret file. UTF-8 with the C.UTF-8 locale, so Cyrillic and Kazakh letters are
# letters to lower() and ILIKE whatever the server's own locale is.
set -eu

create() {
  role=$1
  password=$(cat "/run/secrets/${role}_db_password")
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       --set=role="$role" --set=password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8';
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
  echo "postgres-init: database $role owned by role $role"
}

create orgs
create dialogue
