"""Text checks of the read-only query guard: one SELECT/WITH statement, no write keywords, a length limit.

This is the first of the guard's layers (see :mod:`sselab.store.readonly`); the database connection itself is
the second and decisive one. A small tokenizer understands ``'strings'`` (with ``''`` and PostgreSQL
``E'\\''`` escapes), ``"identifiers"``, ```identifiers```, ``[identifiers]``, ``$tag$dollar strings$tag$``,
``-- line`` and ``/* block */`` comments, so that a ``;`` or a keyword inside a string or comment is not
mistaken for code, and one outside is never missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sselab.errors import UnsafeQueryError

ALLOWED_FIRST_WORDS = frozenset({"SELECT", "WITH"})
FORBIDDEN_WORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "DROP", "CREATE", "ALTER", "TRUNCATE", "ATTACH",
        "DETACH", "PRAGMA", "VACUUM", "REINDEX", "ANALYZE", "GRANT", "REVOKE", "COPY", "CALL", "DO",
        "EXECUTE", "PREPARE", "DEALLOCATE", "LOCK", "LISTEN", "NOTIFY", "UNLISTEN", "REFRESH", "SET", "RESET",
        "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "INTO", "LOAD", "DISCARD", "CHECKPOINT",
    }
)  # fmt: skip
FORBIDDEN_FUNCTIONS = frozenset(
    {
        # SQLite: extensions and file access (the shell's and fileio's functions)
        "load_extension", "writefile", "readfile", "edit", "fts3_tokenizer", "zipfile", "sqlite_dbpage",
        # PostgreSQL: files, other sessions, settings, sequences, locks, queries run from strings
        "pg_read_file", "pg_read_binary_file", "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export",
        "lo_unlink", "lo_create", "lo_from_bytea", "lo_put", "dblink", "dblink_exec", "dblink_connect",
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "set_config",
        "nextval", "setval", "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock",
        "pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_sleep", "query_to_xml",
        "query_to_xml_and_xmlschema", "query_to_xmlschema", "cursor_to_xml", "pg_logical_emit_message",
        "pg_notify", "txid_current", "pg_current_xact_id",
    }
)  # fmt: skip

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Token:
    """A piece of SQL text: ``kind`` is word, quoted, string, punct or semicolon; ``text`` as written."""

    kind: str
    text: str
    start: int


def _refuse(reason: str) -> UnsafeQueryError:
    return UnsafeQueryError(f"query refused: {reason}")


def _closing(sql: str, start: int, quote: str, *, backslash: bool = False) -> int:
    """Index just past the quote that closes the one at ``start`` (doubled quotes escape)."""
    i = start + 1
    while i < len(sql):
        ch = sql[i]
        if backslash and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise _refuse(f"unterminated {quote}...{quote} starting at character {start}")


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens, dropping comments and whitespace.

    Raises
    ------
    UnsafeQueryError
        For an unterminated string, identifier or comment (the text cannot be read unambiguously).
    """
    tokens: list[Token] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                raise _refuse(f"unterminated /* comment starting at character {i}")
            i = end + 2
        elif ch == "'":
            prev = tokens[-1] if tokens else None
            escaped = (
                prev is not None and prev.kind == "word" and prev.text.upper() == "E" and prev.start + 1 == i
            )
            end = _closing(sql, i, "'", backslash=escaped)
            tokens.append(Token("string", sql[i:end], i))
            i = end
        elif ch in '"`':
            end = _closing(sql, i, ch)
            tokens.append(Token("quoted", sql[i:end], i))
            i = end
        elif ch == "[":
            end = sql.find("]", i + 1)
            if end < 0:
                raise _refuse(f"unterminated [ starting at character {i}")
            tokens.append(Token("quoted", sql[i : end + 1], i))
            i = end + 1
        elif ch == "$" and (m := _DOLLAR_TAG.match(sql, i)):
            tag = m.group(0)
            end = sql.find(tag, m.end())
            if end < 0:
                raise _refuse(f"unterminated dollar-quoted string {tag} starting at character {i}")
            tokens.append(Token("string", sql[i : end + len(tag)], i))
            i = end + len(tag)
        elif m := _WORD.match(sql, i):
            tokens.append(Token("word", m.group(0), i))
            i = m.end()
        elif ch == ";":
            tokens.append(Token("semicolon", ch, i))
            i += 1
        else:
            tokens.append(Token("punct", ch, i))
            i += 1
    return tokens


def _unquote(token: Token) -> str:
    text = token.text
    return text[1:-1] if token.kind == "quoted" else text


def check_readonly_sql(sql: str, max_sql_chars: int = 10_000) -> str:
    """Check that ``sql`` is one SELECT/WITH statement that names nothing that writes; return it cleaned.

    The cleaned text has comments replaced by spaces and the trailing ``;`` removed.

    Raises
    ------
    UnsafeQueryError
        Naming why the text was refused (length, several statements, first word, a forbidden word/function).
    """
    if not isinstance(sql, str):
        raise _refuse(f"SQL must be text, got {type(sql).__name__}")
    if len(sql) > max_sql_chars:
        raise _refuse(f"the query is {len(sql)} characters long; the limit is {max_sql_chars}")
    if "\x00" in sql:
        raise _refuse("the query contains a NUL character")
    tokens = tokenize(sql)
    statements: list[list[Token]] = [[]]
    for tok in tokens:
        if tok.kind == "semicolon":
            statements.append([])
        else:
            statements[-1].append(tok)
    statements = [s for s in statements if s]
    if not statements:
        raise _refuse("the query is empty")
    if len(statements) > 1:
        raise _refuse(f"only one statement is allowed, found {len(statements)} separated by ';'")
    body = statements[0]
    first = body[0]
    if first.kind != "word" or first.text.upper() not in ALLOWED_FIRST_WORDS:
        raise _refuse(f"only SELECT or WITH statements are allowed, this one starts with {first.text!r}")
    for k, tok in enumerate(body):
        name = _unquote(tok) if tok.kind in ("word", "quoted") else ""
        if tok.kind == "word" and name.upper() in FORBIDDEN_WORDS:
            raise _refuse(f"the keyword {name.upper()} is not allowed in a read-only query")
        is_call = k + 1 < len(body) and body[k + 1].text == "("
        if name and is_call and name.lower().rsplit(".", 1)[-1] in FORBIDDEN_FUNCTIONS:
            raise _refuse(f"the function {name}() is not allowed in a read-only query")
    last = body[-1]
    return _clean_text(sql, tokens, last.start + len(last.text))


def _clean_text(sql: str, tokens: list[Token], end: int) -> str:
    """The statement text up to ``end``; comments and spacing between tokens become single spaces."""
    parts: list[str] = []
    prev_end = 0
    for tok in tokens:
        if tok.start >= end:
            break
        if parts and tok.start > prev_end:
            parts.append(" ")
        parts.append(tok.text)
        prev_end = tok.start + len(tok.text)
    return "".join(parts)
