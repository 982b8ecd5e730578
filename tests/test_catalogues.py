"""The translation catalogues: complete, placeholders intact, compiled, and up to date with the source.

Every string added later needs its translation in the same commit: `make messages` extracts it,
the .po gets its msgstr, and the compiled .mo is committed with it.
"""

import re
import shlex
import shutil
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from tests.services import need

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))

# A placeholder the code fills in: %(name)s, %s, {name}; "%%(name)s" is one a template escaped for
# JavaScript. A lone "%%" is a literal percent sign. HTML tags must survive translation too.
TOKEN = re.compile(
    r"%%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"
    r"|%%"
    r"|%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrs]"
    r"|%[diouxXeEfFgGcrs]"
    r"|\{[A-Za-z_]\w*\}"
    r"|</?[A-Za-z][^>]*>"
)


def tokens(text: str) -> Counter:
    return Counter(token for token in TOKEN.findall(text) if token != "%%")


def live(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


def label(entry: polib.POEntry) -> str:
    return f"[{entry.msgctxt}] {entry.msgid!r}" if entry.msgctxt else repr(entry.msgid)


def translations(entries) -> dict:
    """(context, msgid) -> what the catalogue answers, for translated entries only."""
    found = {}
    for entry in entries:
        if not entry.msgid or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural:
            value = tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
            if not all(value):
                continue
        else:
            value = entry.msgstr
            if not value:
                continue
        found[entry.msgctxt or "", entry.msgid] = value
    return found


def catalogue_id(path: Path) -> str:
    return str(path.relative_to(LOCALE))


def test_the_chinese_catalogue_is_there():
    catalogue = polib.pofile(str(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert len(live(catalogue)) > 1000
    assert catalogue.metadata["Plural-Forms"].startswith("nplurals=1;")


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_every_msgid_is_translated_and_none_is_fuzzy(path):
    catalogue = polib.pofile(str(path))
    fuzzy = [label(entry) for entry in live(catalogue) if "fuzzy" in entry.flags]
    untranslated = [label(entry) for entry in live(catalogue) if not entry.translated() and "fuzzy" not in entry.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy in {catalogue_id(path)}: check and unmark them: {fuzzy}"
    assert not untranslated, f"{len(untranslated)} untranslated in {catalogue_id(path)}: {untranslated}"


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_every_placeholder_and_tag_survives_translation(path):
    problems = []
    for entry in live(polib.pofile(str(path))):
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        wanted = Counter()
        for source in sources:
            wanted |= tokens(source)
        answers = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for answer in filter(None, answers):
            got = tokens(answer)
            # Every placeholder the code fills in must be there (a translation that drops one loses
            # the amount or the order number), and none the code does not fill in (a KeyError).
            missing, extra = wanted - got, got - wanted
            if missing or extra:
                problems.append(f"{label(entry)} -> {answer!r}: missing {list(missing)}, unknown {list(extra)}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_the_committed_mo_is_compiled_from_the_po(path):
    compiled = path.with_suffix(".mo")
    assert compiled.exists(), f"{catalogue_id(compiled)} is missing: run `make messages` and commit it"
    in_po = translations(live(polib.pofile(str(path))))
    in_mo = translations(polib.mofile(str(compiled)))
    stale = sorted(key for key in in_po.keys() | in_mo.keys() if in_po.get(key) != in_mo.get(key))
    assert not stale, f"{catalogue_id(compiled)} is not compiled from its .po; run `make messages`: {stale[:20]}"


def makemessages_options() -> dict:
    """The Makefile's MESSAGES_OPTS, so this test extracts exactly what `make messages` does."""
    line = next(line for line in (ROOT / "Makefile").read_text().splitlines() if line.startswith("MESSAGES_OPTS"))
    words = shlex.split(line.split(":=", 1)[1])
    return {
        "all": "--all" in words,
        "ignore_patterns": [word.removeprefix("--ignore=") for word in words if word.startswith("--ignore=")],
    }


def test_the_catalogues_hold_every_msgid_of_the_source(tmp_path, settings, monkeypatch):
    """makemessages over the source into a copy of the catalogues finds no msgid they lack."""
    need(shutil.which("xgettext") is not None and shutil.which("msgmerge") is not None, "xgettext (GNU gettext)")
    # The source is linked in, so that makemessages writes into the copy and never into locale/.
    for entry in ROOT.iterdir():
        if entry.name not in {"locale", ".git", ".venv", "var", "node_modules"}:
            (tmp_path / entry.name).symlink_to(entry)
    shutil.copytree(LOCALE, tmp_path / "locale")
    settings.LOCALE_PATHS = [str(tmp_path / "locale")]
    monkeypatch.chdir(tmp_path)
    options = makemessages_options()
    for domain in ("django", "djangojs"):
        call_command("makemessages", domain=domain, symlinks=True, no_location=True, verbosity=0, **options)

    lacking = []
    for extracted in sorted((tmp_path / "locale").glob("*/LC_MESSAGES/*.po")):
        committed = LOCALE / extracted.relative_to(tmp_path / "locale")
        known = set()
        if committed.exists():
            known = {(entry.msgctxt, entry.msgid) for entry in live(polib.pofile(str(committed)))}
        lacking += [
            f"{catalogue_id(committed)}: {label(entry)}"
            for entry in live(polib.pofile(str(extracted)))
            if (entry.msgctxt, entry.msgid) not in known
        ]
    assert not lacking, f"{len(lacking)} msgids of the source are missing; run `make messages`: {lacking}"
