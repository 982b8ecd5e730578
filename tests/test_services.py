"""The test services themselves: another process must reach the very database the tests use."""

import environ
import psycopg
import pytest
from django.db import connection

from tests.services import database_url


def _connect(url: str):
    config = environ.Env.db_url_config(url)
    params = {**config.get("OPTIONS", {})}
    for key, name in [("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")]:
        if config[key]:
            params[name] = str(config[key])
    return psycopg.connect(dbname=config["NAME"], **params)


@pytest.mark.django_db
def test_the_url_for_a_worker_reaches_this_test_database():
    """The Celery worker of the integration tests is started with this URL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), inet_server_port(), current_setting('data_directory')")
        here = cursor.fetchone()

    with _connect(database_url(connection.settings_dict)) as other, other.cursor() as cursor:
        cursor.execute("SELECT current_database(), inet_server_port(), current_setting('data_directory')")
        assert cursor.fetchone() == here


@pytest.mark.parametrize(
    ("settings_dict", "expected"),
    [
        (
            {
                "NAME": "test_x",
                "USER": "postgres",
                "PASSWORD": "",
                "HOST": "",
                "PORT": "",
                "OPTIONS": {"host": "/tmp/pg"},
            },
            {"NAME": "test_x", "HOST": "", "OPTIONS": {"host": "/tmp/pg"}},
        ),
        (
            {"NAME": "test_x", "USER": "a@b", "PASSWORD": "p/w:", "HOST": "/run/pg", "PORT": 5433, "OPTIONS": {}},
            {
                "NAME": "test_x",
                "USER": "a@b",
                "PASSWORD": "p/w:",
                "HOST": "",
                "OPTIONS": {"host": "/run/pg", "port": 5433},
            },
        ),
        (
            {"NAME": "test_x", "USER": "postgres", "PASSWORD": "", "HOST": "db.internal", "PORT": 6543, "OPTIONS": {}},
            {"NAME": "test_x", "HOST": "db.internal", "PORT": 6543},
        ),
    ],
)
def test_socket_directories_ports_and_odd_credentials_survive_the_trip(settings_dict, expected):
    parsed = environ.Env.db_url_config(database_url(settings_dict))
    assert {key: parsed.get(key) for key in expected} == expected
