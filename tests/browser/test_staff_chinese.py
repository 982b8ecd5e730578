"""The staff pages as a Chinese inspector or support agent reads them: Chromium with locale zh-CN
(its Accept-Language picks the language), every page in Chinese, none of our English strings left.

A page fails when its text holds an English msgid of ours that has a Chinese translation (the
catalogue says what ours are), whole or inside a Chinese sentence ("选择order awaiting QC查看").
Product data (order and ticket numbers, email addresses) is taken out first; the orders, photos
and messages here are written in Chinese, as they are in a Chinese warehouse.
"""

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import polib
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import INSPECTORS, SUPPORT
from orders.models import Order, ProductCategory
from qc import services as qc_services
from qc.models import Defect, Inspection, Measurement
from tests.browser.conftest import WAIT_MS
from tests.factories import PASSWORD, OrderFactory, UserFactory
from tests.qc.images import jpeg
from tickets import services as ticket_services
from tickets.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[a-zA-Z]|%[sd]|\{\w+\}")
TAG = re.compile(r"<[^>]+>")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Product data, not words of ours: order numbers, ticket numbers, email addresses.
DATA = re.compile(r"\bCB[0-9A-Z]{8}\b|\bT[0-9A-Z]{8}\b|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# One piece of Django's own admin frame fails axe in every language and is left to Django: the
# tabular inlines' empty header cells (the row-name and "Delete?" columns).
AXE_CONTEXT = {
    "exclude": [
        [".inline-group .tabular thead th.original"],
        [".inline-group .tabular thead th:last-child:empty"],
    ]
}


@cache
def english_msgids() -> list[tuple[str, re.Pattern, bool]]:
    """(msgid, what it looks like on a page, whether it is one word) for each msgid of ours
    that Chinese readers should never see: translated, and to something else."""
    found = []
    for entry in polib.pofile(str(CATALOGUE)):
        answer = entry.msgstr or entry.msgstr_plural.get(0, "")
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            if not answer or answer == msgid:
                continue
            chunks = PLACEHOLDER.split(TAG.sub("", msgid).replace("%%", "%"))
            words = re.findall(r"[A-Za-z]{2,}", " ".join(chunks))
            if not words:
                continue  # only placeholders and punctuation: nothing English of its own
            # Any text where a placeholder was; spaces as the browser lays them out.
            body = ".+?".join(r"\s+".join(re.escape(word) for word in chunk.split()) for chunk in chunks)
            found.append((msgid, re.compile(rf"(?<![A-Za-z]){body}(?![A-Za-z])"), len(words) == 1))
    return found


def english_left(texts: list[str]) -> set[str]:
    """The msgids of ours that the texts show in English.

    A one-word msgid ("Save", "order") counts when it is a whole text or sits in a Chinese one
    (a translated sentence around an untranslated name); longer msgids count anywhere.
    """
    left = set()
    for raw in texts:
        text = DATA.sub(" ", raw).strip()
        if not re.search(r"[A-Za-z]{2,}", text):
            continue
        for msgid, pattern, one_word in english_msgids():
            match = pattern.search(text)
            if match and (not one_word or match.group(0) == text or CJK.search(text)):
                left.add(f"{msgid!r} in {raw!r}")
    return left


def page_texts(page) -> list[str]:
    """What a reader meets: the rendered text, line by line, and the labels of the visible
    controls and images (aria-label, title, placeholder, alt). Django's admin icons carry a fixed
    English alt ("True", "Search") that is not ours."""
    # The language switch names each language in itself ("English", "中文"), on purpose: it is
    # left out of the text read.
    text = page.evaluate(
        """() => {
            const switches = [...document.querySelectorAll('.language-switch')];
            switches.forEach((el) => { el.style.display = 'none'; });
            const text = document.body.innerText;
            switches.forEach((el) => { el.style.display = ''; });
            return text;
        }"""
    )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    labels = page.evaluate(
        """() => [...document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')]
            .filter((el) => el.checkVisibility() && !(el.tagName === 'IMG' && el.src.includes('/admin/img/')))
            .flatMap((el) => ['aria-label', 'title', 'placeholder', 'alt'].map((name) => el.getAttribute(name)))
            .filter(Boolean)"""
    )
    return lines + labels


def check(page, axe: Axe, name: str) -> list[str]:
    problems = [f"{name}: English left: {text}" for text in sorted(english_left(page_texts(page)))]
    lang = page.evaluate("document.documentElement.lang")
    if lang != "zh-hans":
        problems.append(f"{name}: <html lang={lang!r}>")
    problems += [
        f"{name}: axe {v['id']} ({v['impact']}) at {[n['target'] for n in v['nodes']][:3]}: {v['help']}"
        for v in axe.run(page, context=AXE_CONTEXT).response["violations"]
    ]
    return problems


def photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(size=(800, 600), color=colour), content_type="image/jpeg")


@pytest.fixture
def warehouse(settings, tmp_path):
    """A lead who inspects and answers tickets, an order waiting for QC, one that failed it (with
    photos, a boxed defect and a measurement) and the shopper's ticket about it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    lead = UserFactory(email="zhang.wei@example.com", first_name="伟", last_name="张", is_staff=True)
    lead.groups.add(*Group.objects.filter(name__in=[INSPECTORS, SUPPORT]))
    shopper = UserFactory(email="buyer@example.com")
    common = {"shopper": shopper, "status": Order.Status.AWAITING_QC, "category": ProductCategory.CLOTHING}
    waiting = OrderFactory(
        **common, product_title="羊毛混纺大衣 炭灰色", option_text="L / 炭灰", seller_name="杭州织造"
    )
    failed = OrderFactory(**common, product_title="羽绒背心", option_text="M / 橄榄绿", seller_name="哈尔滨暖冬")

    inspection = qc_services.inspection_open(order=failed, by=lead)
    front, label = (
        qc_services.photo_add(inspection=inspection, uploaded_file=photo(name, colour), by=lead, caption=caption)
        for name, colour, caption in [("front.jpg", (90, 110, 80), "正面平铺"), ("label.jpg", (200, 190, 180), "吊牌")]
    )
    for made in (front, label):
        qc_services.photo_make_renditions(photo_id=made.pk)
    Defect.objects.create(
        inspection=inspection,
        kind=Defect.Kind.STAIN,
        severity=Defect.Severity.MAJOR,
        description="正面有一处约 3 厘米的褐色污渍，湿布擦不掉。",
        photo=front,
        box_x=0.5,
        box_y=0.3,
        box_w=0.2,
        box_h=0.2,
    )
    Measurement.objects.create(
        inspection=inspection, name="胸宽", listed_value=Decimal("56.00"), measured_value=Decimal("52.50")
    )
    inspection.internal_note = "同一卖家本月第二次污渍。"
    inspection.save(update_fields=["internal_note"])
    qc_services.inspection_complete(inspection=inspection, by=lead, result=Inspection.Result.FAILED)

    ticket = ticket_services.ticket_open(
        shopper=shopper,
        subject="背心上的污渍能洗掉吗？",
        body="质检照片里正面有污渍，可以换货吗？",
        category=Category.QC,
        order=failed,
    )
    ticket_services.ticket_reply(ticket=ticket, by=lead, body="您好，卖家有责任，换货不收费。")
    return {"waiting": waiting, "failed": failed, "inspection": inspection, "ticket": ticket}


def test_the_staff_pages_read_in_chinese_with_no_english_of_ours(browser, live_server, warehouse):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    axe, problems = Axe(), []

    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("邮箱地址").fill("zhang.wei@example.com")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/")
    problems += check(page, axe, "admin index")

    # The QC queue, then the round its button opens: the inspector's workbench.
    page.get_by_role("link", name="质检队列").first.click()
    page.wait_for_url("**/admin/qc/qcqueueitem/")
    assert page.get_by_role("heading", name="选择待质检订单查看").is_visible()
    problems += check(page, axe, "QC queue")
    page.get_by_role("link", name="开始质检", exact=True).click()
    page.wait_for_url("**/admin/qc/inspection/*/change/")
    assert page.get_by_text(f"订单 {warehouse['waiting'].number}").first.is_visible()
    problems += check(page, axe, "inspection (open round)")

    page.goto(reverse("admin:qc_inspection_change", args=[warehouse["inspection"].pk]))
    problems += check(page, axe, "inspection (failed round)")

    page.goto(reverse("admin:orders_order_change", args=[warehouse["failed"].pk]))
    assert page.get_by_text("污渍").first.is_visible()
    problems += check(page, axe, "order")

    page.goto(reverse("admin:tickets_ticket_changelist"))
    problems += check(page, axe, "ticket desk")
    page.get_by_role("link", name=warehouse["ticket"].number).click()
    page.wait_for_url("**/admin/tickets/ticket/*/change/")
    # The desk's order panel says 订单 (a shop order), not 排序 (a sort order).
    assert page.get_by_role("heading", name="订单", exact=True).is_visible()
    problems += check(page, axe, "ticket")

    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
    assert problems == [], "\n".join(problems)


def test_the_check_finds_english_of_ours_but_not_product_data():
    """The matcher itself: what it must catch, and what it must leave alone."""
    left = english_left(
        [
            "选择order awaiting QC查看",  # an untranslated verbose name inside Django's sentence
            "Decide by",  # a whole label left in English
            "订单 CB2345ABCD · buyer@example.com",  # data only
            "胸宽：52.50 / 56.00 cm",
        ]
    )
    assert any(text.startswith("'order awaiting QC'") for text in left)
    assert any(text.startswith("'Decide by'") for text in left)
    assert not any("CB2345ABCD" in text or "胸宽" in text for text in left), left
