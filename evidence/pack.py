"""What an evidence pack holds, and writing it as a ZIP a chunk at a time.

`plan_pack` reads every row the pack needs (a fixed number of queries) and lists the files it
will hold, each with a function that yields its bytes; nothing is read from storage yet.
`stream_pack` (for a response) and `write_pack` (to a file, for the background build) then write
the ZIP: each file is read in chunks, hashed and counted on the way, so at most one file's
bytes are in memory at a time (and for a photo with its defect boxes drawn, one decoded photo).
The manifest (manifest.json, and SHA256SUMS for `sha256sum -c`) comes last, from those hashes.

The ZIP is written by the standard library's zipfile: on an output that cannot seek (a
streamed response) it writes each entry's sizes and CRC after its data (a data descriptor), so
nothing needs to be known in advance; photos are stored as they are (JPEG does not deflate),
the text files deflated. No dependency, and one writer for both paths.
"""

import csv
import hashlib
import io
import json
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from common.images import PILLOW_ERRORS, exif_taken_at, jpeg_ready, upright
from common.uploads import FORMATS
from orders.models import ListingImage, Order, OrderEvent
from orders.selectors import listing_images_for_order
from qc.models import Defect, Inspection, QCPhoto
from tickets.models import Attachment, Message, Ticket

CHUNK = 256 * 1024
BOXED_QUALITY = 90
SEVERITY_COLOURS = {Defect.Severity.MAJOR: (255, 23, 68), Defect.Severity.MINOR: (255, 171, 0)}
STAFF = "staff"


@dataclass
class Entry:
    """One file of the pack: where it goes, what it is, and how to get its bytes."""

    path: str
    kind: str  # what the manifest calls it: qc_photo, qc_photo_boxed, listing_image, table, ...
    description: str
    created_at: datetime | None
    chunks: Callable[[], Iterator[bytes]]
    compress: bool = False
    # When the photo was taken, read when the file is written (from the uploaded original).
    taken_at: Callable[[], str | None] | None = None


@dataclass
class Plan:
    order: Order
    audience: str
    entries: list[Entry] = field(default_factory=list)
    photo_count: int = 0
    # Every row the pack is made of, with what changes it: the same state gives the same pack.
    state: list = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.state, default=str).encode()).hexdigest()


# --- Sources of bytes -------------------------------------------------------------------------


def _stored(stored: FieldFile) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        with stored.open("rb") as opened:
            while chunk := opened.read(CHUNK):
                yield chunk

    return chunks


def _text(make: Callable[[], str]) -> Callable[[], Iterator[bytes]]:
    def chunks() -> Iterator[bytes]:
        yield make().encode("utf-8")

    return chunks


def _csv(header: list[str], rows: list[list]) -> Callable[[], Iterator[bytes]]:
    def make() -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
        return "\ufeff" + out.getvalue()  # a BOM, so spreadsheet programs read UTF-8

    return _text(make)


def _boxed(photo: QCPhoto, boxes: list[Defect]) -> Callable[[], Iterator[bytes]]:
    """The full-resolution photo, upright, with each defect's box drawn where the shopper sees it."""

    def chunks() -> Iterator[bytes]:
        with photo.full.open("rb") as opened, Image.open(opened, formats=list(FORMATS)) as image:
            image.load()
            # `full` of a JPEG keeps the original pixels and says how to turn them (EXIF).
            pixels, icc = jpeg_ready(upright(image))
        pixels = pixels.convert("RGB")
        width, height = pixels.size
        line = max(3, round(min(width, height) / 150))
        draw = ImageDraw.Draw(pixels)
        for defect in boxes:
            left, top = defect.box_x * width, defect.box_y * height
            right, bottom = left + defect.box_w * width, top + defect.box_h * height
            draw.rectangle([left, top, right, bottom], outline=SEVERITY_COLOURS[defect.severity], width=line)
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=BOXED_QUALITY, icc_profile=icc, comment="")
        del pixels, draw
        view = out.getbuffer()
        for start in range(0, len(view), CHUNK):
            yield bytes(view[start : start + CHUNK])
        view.release()

    return chunks


def _taken_at(photo: QCPhoto) -> Callable[[], str | None]:
    """When the uploaded original says it was taken (its EXIF; only the header is read)."""

    def taken() -> str | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Pillow's remarks on odd phone files (MPO indexes...)
                with photo.original.open("rb") as opened, Image.open(opened, formats=list(FORMATS)) as image:
                    return exif_taken_at(image)
        except PILLOW_ERRORS:
            return None

    return taken


def _iso(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


# --- The plan ----------------------------------------------------------------------------------


def _rounds(plan: Plan) -> None:
    rounds = Inspection.objects.filter(order=plan.order).select_related("inspector").order_by("round_number")
    if plan.audience != STAFF:
        rounds = rounds.exclude(result=Inspection.Result.PENDING)
    rounds = rounds.prefetch_related(
        Prefetch("photos", QCPhoto.objects.filter(renditions_at__isnull=False).order_by("position", "id")),
        Prefetch("defects", Defect.objects.order_by("position", "id")),
        "measurements",
    )
    staff = plan.audience == STAFF
    round_rows, defect_rows, measurement_rows = [], [], []
    for inspection in rounds:
        folder = f"qc/round-{inspection.round_number}"
        round_rows.append(
            [
                inspection.round_number,
                inspection.get_result_display(),
                _iso(inspection.opened_at),
                _iso(inspection.completed_at),
                inspection.public_note,
                *(
                    [inspection.inspector.email if inspection.inspector else "", inspection.internal_note]
                    if staff
                    else []
                ),
            ]
        )
        plan.state.append(["round", inspection.pk, inspection.result, inspection.completed_at])
        defects = list(inspection.defects.all())
        files: dict[int, str] = {}
        for number, photo in enumerate(inspection.photos.all(), start=1):
            path = f"{folder}/photo-{number:02d}.jpg"
            files[photo.pk] = path
            label = _("Round %(round)s, photo %(n)s") % {"round": inspection.round_number, "n": number}
            description = f"{label}: {photo.caption}" if photo.caption else label
            plan.entries.append(
                Entry(
                    path=path,
                    kind="qc_photo",
                    description=description,
                    created_at=photo.created_at,
                    chunks=_stored(photo.full),
                    taken_at=_taken_at(photo),
                )
            )
            plan.photo_count += 1
            plan.state.append(["photo", photo.pk, photo.sha256, photo.renditions_at])
            boxes = [d for d in defects if d.has_box and d.photo_id == photo.pk]
            if boxes:
                plan.entries.append(
                    Entry(
                        path=f"{folder}/boxed/photo-{number:02d}-boxed.jpg",
                        kind="qc_photo_boxed",
                        description=_("%(photo)s, with the defects marked") % {"photo": description},
                        created_at=photo.created_at,
                        chunks=_boxed(photo, boxes),
                    )
                )
        for d in defects:
            defect_rows.append(
                [
                    inspection.round_number,
                    d.get_kind_display(),
                    d.get_severity_display(),
                    d.description,
                    files.get(d.photo_id, ""),
                    *([f"{v:.4f}" for v in (d.box_x, d.box_y, d.box_w, d.box_h)] if d.has_box else ["", "", "", ""]),
                ]
            )
            plan.state.append(["defect", d.pk, d.description, d.photo_id, d.box_x, d.box_y, d.box_w, d.box_h])
        for m in inspection.measurements.all():
            measurement_rows.append(
                [
                    inspection.round_number,
                    m.name,
                    m.listed_value,
                    m.measured_value,
                    m.unit,
                    m.difference,
                    _("yes") if m.is_off else _("no"),
                ]
            )
            plan.state.append(["measurement", m.pk, m.listed_value, m.measured_value])
    now = timezone.now()
    round_header = [_("round"), _("result"), _("opened"), _("completed"), _("note for the shopper")]
    if staff:
        round_header += [_("inspector"), _("internal note")]
    plan.entries += [
        Entry("qc/rounds.csv", "table", _("QC rounds and their verdicts"), now, _csv(round_header, round_rows), True),
        Entry(
            "qc/defects.csv",
            "table",
            _("Defects found, with the photo and the box (fractions of the photo) marking each"),
            now,
            _csv(
                [
                    _("round"),
                    _("kind"),
                    _("severity"),
                    _("description"),
                    _("photo"),
                    _("box left"),
                    _("box top"),
                    _("box width"),
                    _("box height"),
                ],
                defect_rows,
            ),
            True,
        ),
        Entry(
            "qc/measurements.csv",
            "table",
            _("Measurements: listed against measured"),
            now,
            _csv(
                [_("round"), _("what"), _("listed"), _("measured"), _("unit"), _("difference"), _("off tolerance")],
                measurement_rows,
            ),
            True,
        ),
    ]


def _listing(plan: Plan) -> None:
    counters: dict[str, int] = {}
    names = {ListingImage.Source.SHOPPER: "shopper-screenshot", ListingImage.Source.PURCHASER: "seller-photo"}
    for image in listing_images_for_order(order=plan.order):
        counters[image.source] = counters.get(image.source, 0) + 1
        plan.entries.append(
            Entry(
                path=f"listing/{names[image.source]}-{counters[image.source]:02d}.jpg",
                kind="listing_image",
                description=image.get_source_display(),
                created_at=image.created_at,
                chunks=_stored(image.full),
            )
        )
        plan.photo_count += 1
        plan.state.append(["listing", image.pk])


def _timeline(plan: Plan) -> None:
    events = OrderEvent.objects.filter(order=plan.order).select_related("actor").order_by("created_at", "id")
    staff = plan.audience == STAFF
    if not staff:
        events = events.filter(shopper_visible=True)
    rows = []
    for event in events:
        if event.actor_id is None:
            who = _("system")
        elif event.actor_id == plan.order.shopper_id:
            who = _("shopper")
        else:
            who = event.actor.email if staff else _("staff")
        row = [
            _iso(event.created_at),
            event.get_from_status_display(),
            event.get_to_status_display(),
            event.transition,
            who,
            event.note,
        ]
        if staff:
            row.append(_("yes") if event.shopper_visible else _("no"))
        rows.append(row)
        plan.state.append(["event", event.pk])
    header = [_("time"), _("from"), _("to"), _("action"), _("by"), _("note")]
    if staff:
        header.append(_("shopper can see"))
    plan.entries.append(
        Entry("timeline.csv", "table", _("The order's timeline"), timezone.now(), _csv(header, rows), True)
    )


def _tickets(plan: Plan) -> None:
    staff = plan.audience == STAFF
    messages = Message.objects.select_related("author").order_by("created_at", "id")
    if not staff:
        messages = messages.filter(is_internal=False)
    messages = messages.prefetch_related(Prefetch("attachments", Attachment.objects.order_by("id")))
    tickets = (
        Ticket.objects.filter(order=plan.order, shopper_id=plan.order.shopper_id)
        .order_by("opened_at", "id")
        .prefetch_related(Prefetch("messages", messages, to_attr="thread"))
    )
    for ticket in tickets:
        folder = f"tickets/{ticket.number}"
        lines = [
            f"{ticket.number}: {ticket.subject}",
            _("Category: %(category)s") % {"category": ticket.get_category_display()},
            _("Status: %(status)s") % {"status": ticket.get_status_display()},
            _("Opened: %(time)s") % {"time": _iso(ticket.opened_at)},
            "",
        ]
        plan.state.append(["ticket", ticket.pk, ticket.status])
        for message in ticket.thread:
            if not message.by_staff:
                who = _("Shopper")
            else:
                who = _("Support (%(email)s)") % {"email": message.author.email} if staff else _("Support")
            marker = f" [{_('internal note, never shown to the shopper')}]" if message.is_internal else ""
            lines += ["-" * 60, f"{_iso(message.created_at)} · {who}{marker}", "", message.body, ""]
            for number, attachment in enumerate(message.attachments.all(), start=1):
                path = f"{folder}/attachments/{message.pk}-{number}-{attachment.original_name}"
                lines.append(_("Attached: %(path)s") % {"path": path})
                plan.entries.append(
                    Entry(
                        path=path,
                        kind="ticket_attachment",
                        description=_("Attached to a message of ticket %(number)s") % {"number": ticket.number},
                        created_at=attachment.created_at,
                        chunks=_stored(attachment.file),
                    )
                )
            plan.state.append(["message", message.pk])
        plan.entries.append(
            Entry(
                f"{folder}/messages.txt",
                "messages",
                _("The messages of ticket %(number)s") % {"number": ticket.number},
                ticket.last_message_at,
                _text(lambda lines=lines: "\n".join(lines) + "\n"),
                True,
            )
        )


def _readme(plan: Plan) -> Entry:
    order = plan.order
    lines = [
        _("Evidence pack of order %(number)s: %(product)s") % {"number": order.number, "product": order.product_title},
        _("Made on %(time)s.") % {"time": _iso(timezone.now())},
        "",
        _(
            "qc/: the QC photos of every round at full resolution, and in qc/round-N/boxed/ the same photos "
            "with the defects marked; rounds, defects and measurements as CSV tables."
        ),
        _(
            "listing/: the listing images (screenshots attached by the shopper, photos of the seller's "
            "listing attached by our purchaser)."
        ),
        _("timeline.csv: the order's history. tickets/: the messages of the order's support tickets."),
        _(
            "manifest.json lists every file with its SHA-256, size and time. To check that no file was "
            "changed, run: sha256sum -c SHA256SUMS"
        ),
    ]
    text = "\n".join(lines) + "\n"
    return Entry("README.txt", "readme", _("What this pack holds"), timezone.now(), _text(lambda: text), True)


def plan_pack(*, order: Order, audience: str) -> Plan:
    """Everything an order's evidence pack holds for `audience` ("shopper": completed rounds,
    shopper-visible events, public messages; "staff": all of it). Nine queries whatever the
    numbers of rounds, photos, images, events, tickets and messages."""
    plan = Plan(order=order, audience=audience)
    plan.state.append(["order", order.pk, audience])
    _rounds(plan)
    _listing(plan)
    _timeline(plan)
    _tickets(plan)
    plan.entries.insert(0, _readme(plan))
    return plan


# --- Writing the ZIP -----------------------------------------------------------------------------


def _zip_time(moment: datetime | None) -> tuple[int, int, int, int, int, int]:
    local = timezone.localtime(moment or timezone.now())
    return max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second


def _steps(plan: Plan, out) -> Iterator[None]:
    """Write the pack to `out` (anything with write()), pausing after every chunk written."""
    records = []
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        for entry in plan.entries:
            info = zipfile.ZipInfo(entry.path, date_time=_zip_time(entry.created_at))
            info.compress_type = zipfile.ZIP_DEFLATED if entry.compress else zipfile.ZIP_STORED
            digest, size = hashlib.sha256(), 0
            # force_zip64: the size is not known before the end, and one file may pass 2 GiB.
            with archive.open(info, "w", force_zip64=True) as target:
                for chunk in entry.chunks():
                    target.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    yield
            records.append(
                {
                    "path": entry.path,
                    "kind": entry.kind,
                    "description": entry.description,
                    "sha256": digest.hexdigest(),
                    "bytes": size,
                    "created_at": _iso(entry.created_at),
                    "taken_at": entry.taken_at() if entry.taken_at else None,
                }
            )
        manifest = {
            "order": plan.order.number,
            "product": plan.order.product_title,
            "audience": plan.audience,
            "made_at": _iso(timezone.now()),
            "time_zone": settings.TIME_ZONE,
            "files": records,
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
        archive.writestr(_info("manifest.json"), manifest_bytes)
        sums = [(r["sha256"], r["path"]) for r in records]
        sums.append((hashlib.sha256(manifest_bytes).hexdigest(), "manifest.json"))
        archive.writestr(_info("SHA256SUMS"), "".join(f"{digest}  {path}\n" for digest, path in sums))
        yield


def _info(path: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=_zip_time(None))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


class _Sink:
    """An output that cannot seek: what is written waits here until the stream takes it."""

    def __init__(self):
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def stream_pack(plan: Plan) -> Iterator[bytes]:
    """The pack's ZIP as chunks, made while they are sent."""
    sink = _Sink()
    for _step in _steps(plan, sink):
        if data := sink.take():
            yield data
    if data := sink.take():  # the central directory, written when the archive closed
        yield data


def write_pack(plan: Plan, out) -> None:
    """Write the pack's ZIP to a file opened for writing."""
    for _step in _steps(plan, out):
        pass
