"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py cssbuy_qc.wsgi`.

Threaded workers (gthread): a connection that has sent nothing waits in the worker's poller, not
in a thread, and a slow upload or a slow reader holds one thread of many instead of a whole
worker. The documented front is a buffering proxy (deploy/nginx.conf), which reads the whole
request before passing it on and takes the response at once, so slow clients never reach
gunicorn at all; the threads are the second line. Each thread may hold one database
connection: WEB_CONCURRENCY x GUNICORN_THREADS must stay below PostgreSQL's max_connections
(with the Celery workers' connections).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
# Open connections per worker, kept-alive and waiting ones included; more wait in the backlog.
worker_connections = 1000
backlog = 2048

# A request slower than this restarts its worker (and is logged); keep it above the slowest
# legitimate request (a 25 MB photo upload from the proxy's buffer takes well under a second).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5

# Request-line and header limits (gunicorn's defaults, written down); bodies are limited by
# MAX_REQUEST_BYTES in Django and client_max_body_size in the proxy.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Recycle workers now and then, jittered so they do not all restart at once.
max_requests = 2000
max_requests_jitter = 200

# Only the proxy may set X-Forwarded-Proto (and so mark a request as HTTPS).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# No runtime control socket: nothing here uses `gunicornc`, and its default path is one per
# user, so two servers on one host (or a test next to a running site) would share it.
control_socket_disable = True
