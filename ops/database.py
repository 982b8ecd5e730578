"""How a child process reaches the database this process uses (a TCP host or a socket
directory, with any port): a DATABASE_URL for manage.py, libpq variables for pg_restore."""

from urllib.parse import quote, urlencode


def _host_port(db: dict) -> tuple[str, str]:
    options = db.get("OPTIONS") or {}
    return str(db.get("HOST") or options.get("host") or ""), str(db.get("PORT") or options.get("port") or "")


def database_url(db: dict, *, name: str | None = None) -> str:
    """A DATABASE_URL for the PostgreSQL database of `db` (a DATABASES entry), or of `name` on
    the same server."""
    host, port = _host_port(db)
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    database = quote(name or db["NAME"], safe="")
    if host.startswith("/"):  # a socket directory goes in the query, which libpq and django-environ both read
        query = urlencode({"host": host, **({"port": port} if port else {})})
        return f"postgres://{credentials}@/{database}?{query}"
    return f"postgres://{credentials}@{host or 'localhost'}{':' + port if port else ''}/{database}"


def libpq_env(db: dict) -> dict[str, str]:
    """PGHOST, PGPORT, PGUSER, PGPASSWORD for the server of `db` (only those that are set)."""
    host, port = _host_port(db)
    values = {"PGHOST": host, "PGPORT": port, "PGUSER": db.get("USER") or "", "PGPASSWORD": db.get("PASSWORD") or ""}
    return {key: value for key, value in values.items() if value}
