"""Who gets which evidence pack, and the order page's evidence section."""

from typing import TYPE_CHECKING

from django.http import Http404
from django.shortcuts import get_object_or_404

from common.pages import PageSection
from orders.models import Order, is_shopper

from .models import PERM_STAFF_PACK, EvidencePack

if TYPE_CHECKING:
    from accounts.models import User


def evidence_audience(*, order: Order, user: "User") -> str | None:
    """The pack `user` gets of the order: the shopper's own, staff's whole one, or none."""
    if is_shopper(order, user):
        return EvidencePack.Audience.SHOPPER
    if user.has_perm(PERM_STAFF_PACK):
        return EvidencePack.Audience.STAFF
    return None


def order_for_evidence(*, user: "User", number: str) -> tuple[Order, str]:
    """The order and the pack the user gets of it; 404 for anyone who gets none."""
    order = get_object_or_404(Order, number=number)
    audience = evidence_audience(order=order, user=user)
    if audience is None:
        raise Http404
    return order, audience


def pack_for_viewer(*, user: "User", key: str) -> EvidencePack:
    """A pack for the shopper of its order (the shopper's pack) or staff who may have whole
    packs (staff packs); anyone else gets 404, whether it exists or not."""
    pack = get_object_or_404(EvidencePack.objects.select_related("order"), key=key)
    if pack.audience == EvidencePack.Audience.SHOPPER and is_shopper(pack.order, user):
        return pack
    if pack.audience == EvidencePack.Audience.STAFF and user.has_perm(PERM_STAFF_PACK):
        return pack
    raise Http404


def latest_pack(*, order: Order, user: "User", audience: str) -> EvidencePack | None:
    """The user's newest pack of the order (ready, being prepared or failed); one query."""
    return EvidencePack.objects.filter(order=order, audience=audience, requested_by=user).first()


def order_evidence_section(*, order: Order, user: "User") -> PageSection:
    """The order page's evidence pack: download it, and how the last one asked for stands."""
    pack = latest_pack(order=order, user=user, audience=EvidencePack.Audience.SHOPPER)
    return PageSection("evidence/order_section.html", {"evidence_pack": pack})
