"""What Chromium shows of each rendition: the scene upright, whichever way the phone stored it.

`full` of a JPEG keeps the original's pixels as stored and says how to turn them in a one-tag
EXIF block; a browser applies it (CSS `image-orientation: from-image`, the default since 2020).
"""

import base64

import pytest

from common.renditions import make_renditions
from tests.qc.images import phone_photo, upright_scene

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:Image appears to be a malformed MPO file"),
]

# Points well inside each quadrant of the scene, as fractions of its width and height.
POINTS = [(0.2, 0.25), (0.8, 0.25), (0.2, 0.75), (0.8, 0.75)]
READ_BACK = """() => [...document.images].map((img) => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const at = ([x, y]) => Array.from(
        context.getImageData(Math.floor(x * img.naturalWidth), Math.floor(y * img.naturalHeight), 1, 1).data
    ).slice(0, 3);
    return {id: img.id, size: [img.naturalWidth, img.naturalHeight], colours: %s.map(at)};
})"""


def test_chromium_shows_every_rendition_upright_for_every_orientation(browser):
    scene = upright_scene()
    expected = [scene.getpixel((int(x * scene.width), int(y * scene.height))) for x, y in POINTS]
    renditions = {
        f"{orientation}-{name}": rendition
        for orientation in range(1, 9)
        for name, rendition in make_renditions(phone_photo(orientation)).items()
    }
    page = browser.new_page()
    page.set_content(
        "".join(
            f'<img id="{key}" src="data:image/jpeg;base64,{base64.b64encode(r.content).decode()}">'
            for key, r in renditions.items()
        )
    )

    shown = page.evaluate(READ_BACK % [list(point) for point in POINTS])

    assert [image["id"] for image in shown] == list(renditions)
    for image in shown:
        rendition = renditions[image["id"]]
        assert tuple(image["size"]) == (rendition.width, rendition.height) == scene.size, image["id"]
        for got, wanted in zip(image["colours"], expected, strict=True):
            assert max(abs(g - w) for g, w in zip(got, wanted, strict=True)) < 40, (image["id"], got, wanted)
