import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_demo_data_is_refused_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to create demo users"):
        call_command("seed_demo")

    from accounts.models import User

    assert not User.objects.filter(email="admin@example.com").exists()
