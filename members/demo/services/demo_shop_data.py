"""The demo shop's shipped samples (demo/data/, see demo/ATTRIBUTION.md) and its catalogue.

Plain Python: reads the gzipped samples into dataclasses and builds the clothing catalogue
deterministically from the review data. No database access here.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

DEMO_DATA_DIR = Path(__file__).resolve().parents[3] / "demo" / "data"
REVIEWS_SAMPLE = DEMO_DATA_DIR / "womens_clothing_reviews.csv.gz"
RETAIL_SAMPLE = DEMO_DATA_DIR / "online_retail_invoices.csv.gz"
PRODUCT_SKU_PREFIX = "CL-"

# What one item of each class is called in a title, and its plausible US price band (USD).
CLASS_NOUNS_AND_PRICES: dict[str, tuple[str, int, int]] = {
    "Dresses": ("Dress", 60, 180),
    "Knits": ("Knit Top", 28, 78),
    "Blouses": ("Blouse", 38, 98),
    "Sweaters": ("Sweater", 58, 158),
    "Pants": ("Pants", 48, 128),
    "Jeans": ("Jeans", 78, 178),
    "Fine gauge": ("Fine-Gauge Sweater", 48, 128),
    "Skirts": ("Skirt", 48, 128),
    "Jackets": ("Jacket", 88, 228),
    "Lounge": ("Lounge Set", 28, 88),
    "Swim": ("Swimsuit", 38, 98),
    "Outerwear": ("Coat", 118, 298),
    "Shorts": ("Shorts", 34, 78),
    "Sleep": ("Pajama Set", 28, 88),
    "Legwear": ("Tights", 14, 38),
    "Intimates": ("Bralette", 18, 58),
    "Layering": ("Cami", 18, 48),
    "Trend": ("Statement Piece", 48, 168),
    "Casual bottoms": ("Casual Bottoms", 38, 88),
    "Chemises": ("Chemise", 38, 88),
}
UNKNOWN_CLASS = ("Other", "Piece", 30, 100)

# Style words a reviewer uses about the garment itself, in title order (colour before pattern
# before fabric before cut), one per group so a title never says "Maxi Midi". Variants map
# onto the word the title shows.
STYLE_GROUPS: tuple[dict[str, str], ...] = (
    {w: w.title() for w in ("black", "white", "navy", "ivory", "coral", "burgundy", "olive", "mustard", "teal",
                            "plum", "lavender", "grey", "cream", "red", "green", "pink", "blue")}
    | {"gray": "Grey"},
    {"floral": "Floral", "flowers": "Floral", "striped": "Striped", "stripes": "Striped", "stripe": "Striped",
     "plaid": "Plaid", "polka": "Polka Dot", "embroidered": "Embroidered", "embroidery": "Embroidered",
     "lace": "Lace", "ruffle": "Ruffled", "ruffles": "Ruffled", "boho": "Boho", "bohemian": "Boho",
     "velvet": "Velvet", "metallic": "Metallic", "beading": "Beaded"},
    {"linen": "Linen", "silk": "Silk", "cotton": "Cotton", "denim": "Denim", "wool": "Wool", "cashmere": "Cashmere",
     "leather": "Leather", "jersey": "Jersey", "chambray": "Chambray", "rayon": "Rayon"},
    {"maxi": "Maxi", "midi": "Midi", "wrap": "Wrap", "swing": "Swing", "shift": "Shift", "a-line": "A-Line",
     "peplum": "Peplum", "tunic": "Tunic", "cropped": "Cropped", "boyfriend": "Boyfriend", "skinny": "Skinny",
     "flare": "Flared", "flared": "Flared", "asymmetrical": "Asymmetric", "sleeveless": "Sleeveless",
     "v-neck": "V-Neck", "turtleneck": "Turtleneck", "cowl": "Cowl-Neck", "oversized": "Oversized",
     "slouchy": "Slouchy", "tailored": "Tailored", "pencil": "Pencil", "kimono": "Kimono"},
)
# Items no review describes get a neutral word, varied so the catalogue does not read "Classic" x 400.
_BOTTOMS = frozenset({"Pants", "Jeans", "Shorts", "Casual bottoms", "Legwear"})
_DRESSES_SKIRTS = frozenset({"Dresses", "Skirts"})
# Reviewers name what they pair an item with ("great with skinny jeans"): these words describe
# the item itself only in these classes.
STYLE_WORD_CLASSES: dict[str, frozenset[str]] = {
    "skinny": _BOTTOMS, "boyfriend": _BOTTOMS, "flare": _BOTTOMS, "flared": _BOTTOMS,
    "denim": _BOTTOMS | {"Jackets", "Skirts"}, "leather": frozenset({"Jackets", "Outerwear", "Skirts", "Pants"}),
    "maxi": _DRESSES_SKIRTS, "midi": _DRESSES_SKIRTS, "a-line": _DRESSES_SKIRTS, "pencil": frozenset({"Skirts"}),
    "shift": frozenset({"Dresses"}), "wrap": _DRESSES_SKIRTS | {"Blouses", "Knits", "Sweaters"},
}
STYLE_FALLBACKS = ("Classic", "Everyday", "Essential", "Signature", "Weekend", "Relaxed")
BRANDS = ("Juniper Row", "Alder & Ash", "Sable Lane", "Wren Atelier", "Cloth & Clover", "Nordhaven",
          "Paloma Field", "Marlow Thread")
# The source spells one division "Initmates".
DIVISION_SPELLING = {"Initmates": "Intimates"}
WORD = re.compile(r"[a-z][a-z\-]+")


@dataclass(frozen=True, slots=True)
class ClothingReview:
    row_id: int
    clothing_id: str
    age: int
    title: str
    text: str
    rating: int
    division: str
    department: str
    class_name: str
    recommended: bool = True  # the reviewer's own "Recommended IND" (the demo history's label corrections)


@dataclass(frozen=True, slots=True)
class RetailSampleLine:
    customer_id: str
    invoice: str
    invoiced_at: datetime
    country: str
    stock_code: str
    quantity: int

    @property
    def is_cancellation(self) -> bool:
        return self.invoice.startswith("C")


@dataclass(frozen=True, slots=True)
class DemoProduct:
    sku: str
    clothing_id: str
    title: str
    description: str
    category: str
    brand: str
    price: Decimal
    review_count: int


@lru_cache(maxsize=2)
def clothing_reviews_read(path: Path = REVIEWS_SAMPLE) -> tuple[ClothingReview, ...]:
    """Every review row of the Kaggle file, in file order; blank text and titles stay blank.
    Cached: the shipped samples are read-only, and tests load the demo many times."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return tuple(
            ClothingReview(
                row_id=int(row[""] if "" in row else row["Unnamed: 0"]),
                clothing_id=row["Clothing ID"].strip(),
                age=int(row["Age"]),
                title=row["Title"].strip(),
                text=row["Review Text"].strip(),
                rating=int(row["Rating"]),
                division=DIVISION_SPELLING.get(row["Division Name"].strip(), row["Division Name"].strip()),
                department=row["Department Name"].strip(),
                class_name=row["Class Name"].strip(),
                recommended=row.get("Recommended IND", "1").strip() != "0",
            )
            for row in csv.DictReader(handle)
        )


@lru_cache(maxsize=2)
def retail_sample_read(path: Path = RETAIL_SAMPLE) -> tuple[RetailSampleLine, ...]:
    """The per-invoice Online Retail summary, in file order (invoices chronological). Cached."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return tuple(
            RetailSampleLine(
                customer_id=row["customer_id"],
                invoice=row["invoice"],
                invoiced_at=datetime.strptime(row["invoiced_at"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC),
                country=row["country"],
                stock_code=row["stock_code"],
                quantity=int(row["quantity"]),
            )
            for row in csv.DictReader(handle)
        )


def style_words_pick(reviews: Sequence[ClothingReview], *, clothing_id: str, class_name: str) -> list[str]:
    """Up to two style words for a title: the most-mentioned word (counted once per review) of the
    two best of the pattern, fabric and cut groups, shown in group order. Colour words are noisy
    ("wear it with black leggings"), so a colour only fills a title that found one word or none.
    Ties go to the word listed first, so the choice is stable."""
    counts: Counter = Counter()
    for review in reviews:
        counts.update(set(WORD.findall(f"{review.title} {review.text}".lower())))
    best_per_group = []
    for group_index, group in enumerate(STYLE_GROUPS):
        scored: dict[str, int] = {}
        for word, shown in group.items():
            if class_name not in STYLE_WORD_CLASSES.get(word, (class_name,)):
                continue
            scored[shown] = scored.get(shown, 0) + counts[word]
        shown, score = max(scored.items(), key=lambda item: item[1], default=("", 0))  # first listed wins a tie
        if score > 0:
            best_per_group.append((group_index > 0, score, -group_index, shown))
    chosen = sorted(best_per_group, reverse=True)[:2]
    if not chosen:
        return [STYLE_FALLBACKS[int(clothing_id) % len(STYLE_FALLBACKS)]]
    return [shown for *_, shown in sorted(chosen, key=lambda item: -item[2])]


@lru_cache(maxsize=4)
def demo_catalog_build(*, reviews: tuple[ClothingReview, ...], seed: int) -> tuple[DemoProduct, ...]:
    """One product per Clothing ID, most-reviewed first (ties by id), deterministic for a seed.
    Cached per (reviews, seed): building it scans every review's text."""
    by_item: dict[str, list[ClothingReview]] = {}
    for review in reviews:
        by_item.setdefault(review.clothing_id, []).append(review)
    products = []
    for clothing_id, item_reviews in by_item.items():
        # An item is filed under the class most of its reviews give (a few rows disagree or are blank).
        placings = Counter((r.class_name, r.department, r.division) for r in item_reviews if r.class_name)
        class_name, department, division = placings.most_common(1)[0][0] if placings else UNKNOWN_CLASS[:1] * 3
        noun, low, high = CLASS_NOUNS_AND_PRICES.get(class_name, UNKNOWN_CLASS[1:])
        rng = random.Random(f"{seed}:product:{clothing_id}")
        # Shop-style prices ending in 8: 68.00, 148.00.
        price = Decimal(max(low, 10 * (rng.randint(low, high) // 10) + 8)).quantize(Decimal("0.01"))
        products.append(
            DemoProduct(
                sku=f"{PRODUCT_SKU_PREFIX}{clothing_id}",
                clothing_id=clothing_id,
                title=f"{' '.join(style_words_pick(item_reviews, clothing_id=clothing_id, class_name=class_name))} {noun} #{clothing_id}",
                description=(
                    f"{class_name} from our {department or 'general'} department, {division or 'General'} line."
                ),
                category=class_name,
                brand=BRANDS[rng.randrange(len(BRANDS))],
                price=price,
                review_count=len(item_reviews),
            )
        )
    products.sort(key=lambda p: (-p.review_count, int(p.clothing_id)))
    return tuple(products)
