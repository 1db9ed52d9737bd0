"""Search as you type: a word-prefix index of organizations' names and a vocabulary, kept by triggers

`org_search_term` holds, for every word of every name in `organization.search_text`, the name from that
word on (first 32 characters) and whether the word starts the name; search walks it in order
(services/orgs/search.py). `org_search_word` holds every word seen, for matches inside words. Triggers on
`organization` keep both right whoever writes the table (the service, the CSV import, the benchmark's
generator, SQL by hand); the upgrade fills them for the rows already there. The SQL here must give exactly
services.common.text.search_terms / search_words (tests/orgs/test_search_index.py holds it to that).

Revision ID: 8c4f2a61d9e3
Revises: 2a6af58e195a
Create Date: 2026-11-22 04:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4f2a61d9e3"
down_revision: str | None = "2a6af58e195a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TERM_LENGTH = 32  # services.common.text.SEARCH_TERM_LENGTH
KEY = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

# --- PostgreSQL: set-returning functions, statement-level triggers over the transition tables ----------

PG_FUNCTIONS = [
    # The document split at its spaces: a word follows a space; it starts a name when the token before it is
    # '|'; its term is the rest of the document up to the next ' |' (the end of that name). A term that two
    # names share comes out twice: the INSERTs take DISTINCT rows (cheaper than ON CONFLICT on bulk loads).
    f"""
    CREATE FUNCTION org_search_terms(doc text) RETURNS TABLE (kind smallint, term text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN t.n > 1 AND s.tokens[t.n - 1] = '|' THEN 1 ELSE 2 END::smallint,
               rtrim(left(split_part(array_to_string(s.tokens[t.n:], ' '), ' |', 1), {TERM_LENGTH}), ' ')
        FROM (SELECT string_to_array(doc, ' ') AS tokens) AS s
        CROSS JOIN LATERAL unnest(s.tokens) WITH ORDINALITY AS t(token, n)
        WHERE t.token NOT IN ('', '|')
    $$
    """,
    # Organizations holding a vocabulary word LIKE one of `patterns`: one index walk per word. A function,
    # because the planner cannot estimate a join on prefix ranges (it guessed thousands of rows per word).
    """
    CREATE FUNCTION org_search_holders(patterns text[]) RETURNS SETOF integer
    LANGUAGE plpgsql STABLE ROWS 100 AS $$
    DECLARE
        w text;
    BEGIN
        FOR w IN SELECT word FROM org_search_word WHERE word LIKE ANY (patterns) LOOP
            RETURN QUERY SELECT org_id FROM org_search_term
                WHERE kind IN (1, 2) AND term >= w AND term < w || chr(1114111);
        END LOOP;
    END $$
    """,
    """
    CREATE FUNCTION org_search_index_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        WITH added AS (
            INSERT INTO org_search_term (kind, term, org_id)
            SELECT DISTINCT t.kind, t.term, n.id FROM new_rows n CROSS JOIN LATERAL org_search_terms(n.search_text) t
            RETURNING term)
        INSERT INTO org_search_word (word) SELECT DISTINCT split_part(term, ' ', 1) FROM added
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    # Fires for every UPDATE statement (PostgreSQL allows no column list with transition tables); rows whose
    # search text did not change are skipped, so archiving or a version step costs one join of one row.
    """
    CREATE FUNCTION org_search_index_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM org_search_term t USING old_rows o
        WHERE t.org_id = o.id AND NOT EXISTS (
            SELECT 1 FROM new_rows n WHERE n.id = o.id AND n.search_text IS NOT DISTINCT FROM o.search_text);
        WITH added AS (
            INSERT INTO org_search_term (kind, term, org_id)
            SELECT DISTINCT t.kind, t.term, n.id FROM new_rows n CROSS JOIN LATERAL org_search_terms(n.search_text) t
            WHERE NOT EXISTS (
                SELECT 1 FROM old_rows o WHERE o.id = n.id AND o.search_text IS NOT DISTINCT FROM n.search_text)
            RETURNING term)
        INSERT INTO org_search_word (word) SELECT DISTINCT split_part(term, ' ', 1) FROM added
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION org_search_index_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM org_search_term t USING old_rows o WHERE t.org_id = o.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION org_search_index_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE org_search_term;
        RETURN NULL;
    END $$
    """,
]

PG_TRIGGERS = [
    "CREATE TRIGGER org_search_index_insert AFTER INSERT ON organization REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION org_search_index_insert()",
    "CREATE TRIGGER org_search_index_update AFTER UPDATE ON organization "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION org_search_index_update()",
    "CREATE TRIGGER org_search_index_delete AFTER DELETE ON organization REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION org_search_index_delete()",
    "CREATE TRIGGER org_search_index_truncate AFTER TRUNCATE ON organization "
    "FOR EACH STATEMENT EXECUTE FUNCTION org_search_index_truncate()",
    # Also under session_replication_role = replica (bulk loads that skip foreign-key checks, such as the
    # benchmark's generator, and logical replication): the index follows the table whoever writes it.
    *(f"ALTER TABLE organization ENABLE ALWAYS TRIGGER org_search_index_{event}"
      for event in ("insert", "update", "delete", "truncate")),
]

PG_FILL = [
    "INSERT INTO org_search_term (kind, term, org_id) "
    "SELECT DISTINCT t.kind, t.term, o.id FROM organization o CROSS JOIN LATERAL org_search_terms(o.search_text) t",
    "INSERT INTO org_search_word (word) SELECT DISTINCT split_part(term, ' ', 1) FROM org_search_term",
]

PG_DROP = [
    "DROP TRIGGER IF EXISTS org_search_index_insert ON organization",
    "DROP TRIGGER IF EXISTS org_search_index_update ON organization",
    "DROP TRIGGER IF EXISTS org_search_index_delete ON organization",
    "DROP TRIGGER IF EXISTS org_search_index_truncate ON organization",
    "DROP FUNCTION IF EXISTS org_search_index_insert()",
    "DROP FUNCTION IF EXISTS org_search_index_update()",
    "DROP FUNCTION IF EXISTS org_search_index_delete()",
    "DROP FUNCTION IF EXISTS org_search_index_truncate()",
    "DROP FUNCTION IF EXISTS org_search_holders(text[])",
    "DROP FUNCTION IF EXISTS org_search_terms(text)",
]

# --- SQLite: no functions of our own and no CTEs inside triggers, so a document is split by walking its
# character positions: json_each over an array of length(doc) zeros numbers them (key = position - 1). A
# word starts after a space that is not followed by '|' or the end; it is a name's first word when the
# character before that space is '|'. -------------------------------------------------------------------


def _sqlite_positions(doc: str) -> str:
    return f"json_each('[' || substr(replace(hex(zeroblob(length({doc}))), '00', ',0'), 2) || ']') AS s"


def _sqlite_word_start(doc: str) -> str:
    return f"substr({doc}, s.key + 1, 1) = ' ' AND substr({doc}, s.key + 2, 1) NOT IN ('|', ' ', '')"


def _sqlite_terms(source: str, org_id: str, doc: str) -> str:
    rest = f"substr({doc}, s.key + 2)"
    return (
        "INSERT OR IGNORE INTO org_search_term (kind, term, org_id) "
        f"SELECT CASE WHEN substr({doc}, s.key, 1) = '|' THEN 1 ELSE 2 END, "
        f"rtrim(substr(substr({rest}, 1, instr({rest} || ' |', ' |') - 1), 1, {TERM_LENGTH}), ' '), {org_id} "
        f"FROM {source}, {_sqlite_positions(doc)} WHERE {_sqlite_word_start(doc)}"
    )


def _sqlite_words(org_id: str | None) -> str:
    """Each term's first word (so cut like the terms); of one organization's terms, or of all."""
    where = f" WHERE org_id = {org_id}" if org_id else ""
    return ("INSERT OR IGNORE INTO org_search_word (word) "
            f"SELECT DISTINCT substr(term, 1, instr(term || ' ', ' ') - 1) FROM org_search_term{where}")


_NEW = "(SELECT NEW.id AS id, NEW.search_text AS doc) AS d"

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER org_search_index_insert AFTER INSERT ON organization BEGIN
        {_sqlite_terms(_NEW, "d.id", "d.doc")};
        {_sqlite_words("NEW.id")};
    END
    """,
    f"""
    CREATE TRIGGER org_search_index_update AFTER UPDATE OF id, search_text ON organization
    WHEN NEW.search_text IS NOT OLD.search_text OR NEW.id IS NOT OLD.id BEGIN
        DELETE FROM org_search_term WHERE org_id = OLD.id;
        {_sqlite_terms(_NEW, "d.id", "d.doc")};
        {_sqlite_words("NEW.id")};
    END
    """,
    """
    CREATE TRIGGER org_search_index_delete AFTER DELETE ON organization BEGIN
        DELETE FROM org_search_term WHERE org_id = OLD.id;
    END
    """,
]

SQLITE_FILL = [
    _sqlite_terms("organization AS o", "o.id", "o.search_text"),
    _sqlite_words(None),
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS org_search_index_insert",
    "DROP TRIGGER IF EXISTS org_search_index_update",
    "DROP TRIGGER IF EXISTS org_search_index_delete",
]


def upgrade() -> None:
    op.create_table(
        "org_search_term",
        sa.Column("kind", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("term", KEY, nullable=False),
        sa.Column("org_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("kind", "term", "org_id", name=op.f("pk_org_search_term")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("org_search_term", schema=None) as batch_op:
        batch_op.create_index("ix_org_search_term_org_id", ["org_id"], unique=False)
    op.create_table(
        "org_search_word",
        sa.Column("word", KEY, nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_org_search_word")),
        sqlite_with_rowid=False,
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in (PG_FUNCTIONS + PG_TRIGGERS + PG_FILL) if postgresql else (SQLITE_TRIGGERS + SQLITE_FILL):
        op.execute(statement)
    if postgresql:
        op.execute("ANALYZE org_search_term")
        op.execute("ANALYZE org_search_word")


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in PG_DROP if postgresql else SQLITE_DROP:
        op.execute(statement)
    op.drop_table("org_search_word")
    with op.batch_alter_table("org_search_term", schema=None) as batch_op:
        batch_op.drop_index("ix_org_search_term_org_id")
    op.drop_table("org_search_term")
