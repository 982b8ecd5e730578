from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.builders import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Create the demo users and orders (idempotent: running it twice adds nothing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--not-production",
            action="store_true",
            help="Seed even with DEBUG off (a staging copy). Never on production: it creates a superuser.",
        )

    def handle(self, *args, **options) -> None:
        if not (settings.DEBUG or options["not_production"]):
            raise CommandError(
                "Refusing to create demo users (a superuser with a published password) with DEBUG off. "
                "Pass --not-production on a staging copy."
            )
        created = seed_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready" + ("" if created else " (already there)") + "."))
        self.stdout.write(f"Demo logins, all with password {DEMO_PASSWORD}:")
        for email, role in [
            ("shopper@example.com", "shopper, orders in every status"),
            ("shopper2@example.com", "shopper, a few orders"),
            ("inspector@example.com", "inspector (staff, Inspectors group)"),
            ("support@example.com", "support (staff, Support group)"),
            ("admin@example.com", "superuser"),
        ]:
            self.stdout.write(f"  {email:<24} {role}")
