from django.core.management.base import BaseCommand, CommandError

from ledger.selectors import ledger_violations


class Command(BaseCommand):
    help = "Verify the ledger: balanced transactions, cached balances, no negative wallet. Exit 1 on any violation."

    def handle(self, *args, **options) -> None:
        problems = ledger_violations()
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} ledger violation(s)", returncode=1)
        self.stdout.write(self.style.SUCCESS("Ledger OK"))
