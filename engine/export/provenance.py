"""Provenance that travels inside every exported file (PNG text chunks, SVG <metadata>):
where a design came from (region, descriptors, seed, model, tuned policy, software) and the
IPTC digital-source-type that marks it as made by a trained algorithm.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Mapping
from xml.sax.saxutils import escape

from engine import __version__

IPTC_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
KEY_PREFIX = "wenyang:"
XMP_KEY = "XML:com.adobe.xmp"


@dataclasses.dataclass(frozen=True)
class Provenance:
    """What made a design; empty strings where unknown (e.g. an imported tile)."""

    region: str = ""
    descriptors: str = ""
    seed: str = ""
    model_id: str = ""
    model_hash: str = ""
    policy_id: str = ""
    software: str = f"Wenyang Studio {__version__}"
    created: str = ""

    def with_created(self) -> Provenance:
        if self.created:
            return self
        now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
        return dataclasses.replace(self, created=now)

    def fields(self) -> dict[str, str]:
        return {f.name: str(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def png_text(self) -> dict[str, str]:
        """PNG text entries: our keys, the standard ones, and the IPTC source type."""
        out = {KEY_PREFIX + k: v for k, v in self.fields().items() if v}
        out["Software"] = self.software
        out["DigitalSourceType"] = IPTC_SOURCE_TYPE
        if self.descriptors or self.region:
            out["Description"] = self.description()
        if self.created:
            out["Creation Time"] = self.created
        return out

    def description(self) -> str:
        parts = [p for p in (self.region, self.descriptors) if p]
        return " — ".join(parts) or "Wenyang Studio pattern"

    @classmethod
    def from_text(cls, text: Mapping[str, str]) -> Provenance:
        """Read back what png_text() wrote (unknown keys ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {
            k[len(KEY_PREFIX) :]: str(v)
            for k, v in text.items()
            if k.startswith(KEY_PREFIX) and k[len(KEY_PREFIX) :] in names
        }
        return cls(**kw)


def _ns_attrs() -> str:
    return (
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        'xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:wenyang="https://wenyang.studio/ns/provenance/1.0/"'
    )


def rdf_description(p: Provenance) -> str:
    """An RDF block (Dublin Core + IPTC + our fields), shared by XMP and SVG metadata."""
    f = {k: escape(v) for k, v in p.fields().items()}
    ours = "".join(f"<wenyang:{k}>{v}</wenyang:{k}>" for k, v in f.items() if v)
    created = f"<xmp:CreateDate>{f['created']}</xmp:CreateDate>" if p.created else ""
    return (
        f'<rdf:RDF {_ns_attrs()}><rdf:Description rdf:about="">'
        f"<dc:title>{escape(p.description())}</dc:title>"
        f"<dc:description>{escape(p.description())}</dc:description>"
        f"<dc:creator>{f['software']}</dc:creator>"
        f"<dc:format>image</dc:format>{created}"
        f"<xmp:CreatorTool>{f['software']}</xmp:CreatorTool>"
        f"<Iptc4xmpExt:DigitalSourceType>{IPTC_SOURCE_TYPE}</Iptc4xmpExt:DigitalSourceType>"
        f"{ours}</rdf:Description></rdf:RDF>"
    )


def xmp_packet(p: Provenance) -> str:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        + rdf_description(p)
        + '</x:xmpmeta><?xpacket end="r"?>'
    )


@functools.lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The sRGB ICC profile built by LittleCMS (through PIL): nothing to download or ship."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()  # type: ignore[no-any-return]


def read_png_provenance(path: str) -> Provenance:
    """Provenance from a PNG's text chunks (empty when the file has none)."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        text = dict(getattr(im, "text", {}) or {})
    return Provenance.from_text(text)
