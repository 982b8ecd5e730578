import ipaddress

from django.conf import settings
from django.core.checks import Error, register


@register()
def metrics_allowed_ips_check(app_configs, **kwargs) -> list[Error]:
    """A typo in METRICS_ALLOWED_IPS is refused at start, not on the first scrape."""
    errors = []
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(Error(f"METRICS_ALLOWED_IPS: {entry!r} is not an IP address or network.", id="ops.E001"))
    return errors
