from django.core.management.base import BaseCommand, CommandError

from ops.restore import verify


class Command(BaseCommand):
    help = (
        "Verify the configured database and storage, e.g. after a restore: every migration applied, "
        "ledger_check clean, every photo and attachment file present. Exit 1 on any problem."
    )

    def handle(self, *args, **options) -> None:
        verdicts = verify()
        for verdict in verdicts:
            if verdict.ok:
                self.stdout.write(self.style.SUCCESS(f"OK      {verdict.check}: {verdict.summary}"))
            else:
                self.stdout.write(self.style.ERROR(f"FAILED  {verdict.check}: {verdict.summary}"))
                for problem in verdict.problems:
                    self.stdout.write(f"        {problem}")
        failed = [verdict.check for verdict in verdicts if not verdict.ok]
        if failed:
            raise CommandError(f"Restore verification failed: {', '.join(failed)}", returncode=1)
