"""The lexicon's value types and the ids every other module agrees on (brief: shared interfaces).

The ids are fixed in code, not only in the data files, so that the pattern database, the CLIP
helper and saved projects can rely on them even if a data file is edited; the loader checks the
data against them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REGION_IDS: tuple[str, ...] = (
    "dunhuang",
    "miao",
    "tibetan",
    "mongolian",
    "jiangnan",
    "lingnan",
    "hakka",
    "xinjiang",
)

ATTRIBUTES: tuple[str, ...] = ("complexity", "density", "gold", "warmth", "symmetry")

# Motif ids per region, in the order the data files must list them.
MOTIF_IDS: dict[str, tuple[str, ...]] = {
    "dunhuang": (
        "caisson_lotus",
        "apsaras_ribbon",
        "honeysuckle_scroll",
        "pearl_roundel",
        "cloud_scroll",
        "flame_halo",
        "scrolling_vine",
    ),
    "miao": (
        "butterfly_mother",
        "vortex_spiral",
        "diamond_cross_stitch",
        "batik_crackle",
        "silver_ornament",
        "bronze_drum_sun",
        "zigzag_band",
    ),
    "tibetan": (
        "endless_knot",
        "eight_auspicious",
        "pulu_stripes",
        "double_vajra",
        "dharma_wheel",
        "lotus_tibetan",
        "cloud_flame_border",
    ),
    "mongolian": (
        "horn_pattern",
        "key_meander",
        "cloud_motif",
        "coiled_knot",
        "roundel",
        "scrolling_grass",
    ),
    "jiangnan": (
        "blue_calico",
        "plum_blossom",
        "ice_crack",
        "lattice_window",
        "ink_bamboo",
        "suzhou_embroidery",
    ),
    "lingnan": (
        "kapok",
        "lychee",
        "canton_embroidery",
        "banana_leaf",
        "xiangyunsha",
        "manchurian_window",
        "canton_porcelain",
    ),
    "hakka": (
        "peony_flower_cloth",
        "tulou_rings",
        "indigo_cloth",
        "lantern",
        "flower_band",
        "cool_hat",
    ),
    "xinjiang": (
        "atlas_ikat",
        "pomegranate",
        "badam",
        "eight_pointed_star",
        "carpet_medallion",
        "geometric_interlace",
    ),
}


@dataclass(frozen=True)
class Motif:
    """One motif of a region's tradition, with the words people use for it."""

    id: str
    name_en: str
    name_zh: str
    synonyms_en: tuple[str, ...]
    synonyms_zh: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Colour:
    """A named traditional colour; `families` are the plain colour words it answers to."""

    id: str
    name_en: str
    name_zh: str
    rgb: tuple[int, int, int]
    hex: str
    metallic: bool
    families: tuple[str, ...] = ()
    synonyms_en: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    """One of the eight regional traditions: names, motifs and palette."""

    id: str
    name_en: str
    name_zh: str
    description: str
    motifs: tuple[Motif, ...]
    colours: tuple[Colour, ...]
    synonyms_en: tuple[str, ...] = ()
    synonyms_zh: tuple[str, ...] = ()

    def motif(self, motif_id: str) -> Motif:
        for m in self.motifs:
            if m.id == motif_id:
                return m
        raise KeyError(f"region {self.id!r} has no motif {motif_id!r}")

    def colour(self, colour_id: str) -> Colour:
        for c in self.colours:
            if c.id == colour_id:
                return c
        raise KeyError(f"region {self.id!r} has no colour {colour_id!r}")


@dataclass(frozen=True)
class ParsedDescriptors:
    """What `parse_descriptors` understood in a line of designer text.

    `attributes` maps attribute -> signed strength in [-1, 1]; `negated` holds the words the
    designer excluded ("no ribbons", "不要金"), which are left out of `motifs`, `colours` and
    `english` because CLIP text encoders handle negation poorly.
    """

    regions: list[str]
    motifs: list[tuple[str, str]]
    attributes: dict[str, float]
    colours: list[tuple[str, str]]
    recognised: list[str]
    unknown: list[str]
    english: str
    negated: list[str] = field(default_factory=list)
