"""Production settings (cssbuy_qc.settings, read from the environment) with the benchmark's
URLconf, which adds the anchor page to the site's own URLs."""

from cssbuy_qc.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.qc_page_site.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmarks" / "qc_page_site" / "templates"]  # noqa: F405
# A prefix of the run's own, so that a shared Redis holds nothing from an earlier run.
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="")  # noqa: F405
# The run collects the static files (production's manifest storage needs them) into a folder of its own.
STATIC_ROOT = env("BENCH_STATIC_ROOT", default=str(STATIC_ROOT))  # noqa: F405
