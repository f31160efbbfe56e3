"""The Chinese demo shop's data: the waimai_10k reviews (read at run time) and a food-delivery catalogue.

Plain Python, no database. The reviews are Chinese food-delivery reviews with a 0/1 sentiment
label (../shared/datasets/waimai_10k, see ../shared/datasets/README.md). Their licence is
unknown, so they are never copied into this repository: they are read from ../shared (or a path
given on the command line) each time the demo is built.

The catalogue is ours: a dozen fictional take-away shops, each selling a few dishes at plausible
CNY prices. A review names no dish, so each one is filed under the dish its text mentions
("饺子" -> a dumpling dish), else under a dish drawn by the dishes' popularity.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from members.demo.services.demo_shop_data import DemoProduct

# ../shared beside the repository (where CI and the demo machine have it).
WAIMAI_DEFAULT_PATH = Path(__file__).resolve().parents[3].parent / "shared" / "datasets" / "waimai_10k"
WAIMAI_FILE_NAME = "waimai_10k.csv"
PRODUCT_SKU_PREFIX = "WM-"
# The shop's stars follow the reviewer's own verdict: label 1 -> 4 or 5 stars, 0 -> 1 or 2.
# Shares of the higher star within each (happy reviewers mostly give 5; unhappy ones mostly 1).
FIVE_STAR_SHARE_OF_POSITIVE = 0.7
ONE_STAR_SHARE_OF_NEGATIVE = 0.6


class DemoDataMissing(Exception):
    """The Chinese demo's review file is not where it was looked for (the message says where and how)."""


@dataclass(frozen=True, slots=True)
class WaimaiReview:
    row_id: int  # the data row's number in the file (1 = the first row after the header)
    positive: bool
    text: str

    def rating(self, *, seed: int) -> int:
        """Stars consistent with the label, a stable draw per (seed, row)."""
        roll = random.Random(f"{seed}:zh-rating:{self.row_id}").random()
        if self.positive:
            return 5 if roll < FIVE_STAR_SHARE_OF_POSITIVE else 4
        return 1 if roll < ONE_STAR_SHARE_OF_NEGATIVE else 2


@dataclass(frozen=True, slots=True)
class Dish:
    name: str
    low: int  # price band in whole yuan
    high: int
    keywords: tuple[str, ...]  # words in a review that mean this dish
    popularity: int = 1  # relative weight for reviews that name no dish


@dataclass(frozen=True, slots=True)
class TakeawayShop:
    name: str  # the product's brand
    category: str
    dishes: tuple[Dish, ...]


# Fictional shops; the dishes and price bands are what a Chinese delivery app lists for a city.
TAKEAWAY_SHOPS: tuple[TakeawayShop, ...] = (
    TakeawayShop("张记黄焖鸡米饭", "快餐简餐", (
        Dish("黄焖鸡米饭", 18, 26, ("黄焖鸡",), 6), Dish("黄焖排骨饭", 22, 30, ("排骨",), 3),
        Dish("香菇滑鸡饭", 18, 25, ("滑鸡", "香菇"), 2), Dish("台式卤肉饭", 16, 22, ("卤肉",), 2),
    )),
    TakeawayShop("湘味小炒", "川湘菜", (
        Dish("辣椒炒肉", 26, 36, ("小炒肉", "辣椒炒肉", "炒肉"), 5), Dish("鱼香肉丝", 24, 32, ("鱼香",), 3),
        Dish("宫保鸡丁", 24, 32, ("宫保", "鸡丁"), 3), Dish("水煮鱼", 38, 58, ("水煮鱼", "酸菜鱼", "鱼片"), 2),
        Dish("回锅肉", 28, 38, ("回锅",), 2), Dish("番茄炒蛋", 16, 22, ("番茄", "西红柿", "炒蛋"), 3),
        Dish("米饭", 2, 3, ("米饭",), 2),
    )),
    TakeawayShop("老成都麻辣烫", "麻辣烫冒菜", (
        Dish("麻辣烫", 18, 30, ("麻辣烫",), 4), Dish("冒菜", 22, 32, ("冒菜",), 2),
        Dish("麻辣香锅", 32, 48, ("香锅",), 3), Dish("酸辣粉", 12, 18, ("酸辣粉",), 2),
    )),
    TakeawayShop("兰州牛肉拉面", "面食", (
        Dish("牛肉拉面", 16, 24, ("拉面", "牛肉面"), 5), Dish("西红柿鸡蛋面", 14, 20, ("鸡蛋面",), 2),
        Dish("老北京炸酱面", 16, 22, ("炸酱",), 2), Dish("陕西凉皮", 10, 15, ("凉皮",), 2),
        Dish("肉夹馍", 10, 15, ("肉夹馍", "馍"), 2),
    )),
    TakeawayShop("云南过桥米线", "米粉米线", (
        Dish("过桥米线", 20, 30, ("米线",), 3), Dish("柳州螺蛳粉", 16, 24, ("螺蛳粉",), 2),
        Dish("桂林米粉", 14, 20, ("米粉",), 2),
    )),
    TakeawayShop("北方饺子馆", "饺子馄饨", (
        Dish("猪肉白菜水饺", 20, 28, ("饺子", "水饺"), 4), Dish("鲜肉小馄饨", 14, 20, ("馄饨", "抄手"), 2),
        Dish("小笼包", 14, 20, ("小笼", "包子"), 2), Dish("韭菜盒子", 6, 10, ("韭菜",), 1),
    )),
    TakeawayShop("粥里粥外", "粥店", (
        Dish("皮蛋瘦肉粥", 12, 18, ("粥",), 4), Dish("鸡蛋灌饼", 8, 12, ("灌饼", "煎饼"), 2),
        Dish("油条豆浆套餐", 8, 12, ("油条", "豆浆"), 1),
    )),
    TakeawayShop("扬州炒饭铺", "盖饭炒饭", (
        Dish("扬州炒饭", 16, 22, ("炒饭",), 3), Dish("鱼香肉丝盖饭", 18, 24, ("盖饭", "盖浇饭"), 3),
        Dish("咖喱鸡排饭", 20, 28, ("咖喱", "鸡排"), 2),
    )),
    TakeawayShop("汉堡工坊", "西式快餐", (
        Dish("香辣鸡腿堡套餐", 26, 36, ("汉堡", "鸡腿堡"), 3), Dish("香脆炸鸡桶", 39, 59, ("炸鸡",), 2),
        Dish("薯条（大）", 10, 14, ("薯条",), 2), Dish("奥尔良烤翅", 16, 24, ("鸡翅", "烤翅"), 2),
        Dish("意式披萨（9寸）", 45, 69, ("披萨", "比萨"), 2),
    )),
    TakeawayShop("一点甜茶饮", "饮品甜点", (
        Dish("珍珠奶茶", 12, 18, ("奶茶", "珍珠"), 3), Dish("杨枝甘露", 16, 22, ("甘露", "芒果"), 1),
        Dish("冻柠茶", 10, 15, ("柠檬", "柠茶"), 1), Dish("鲜榨橙汁", 12, 18, ("饮料", "果汁"), 1),
    )),
    TakeawayShop("炭火烧烤", "烧烤夜宵", (
        Dish("羊肉串（10串）", 25, 35, ("羊肉串", "肉串", "烤串", "烧烤"), 2),
        Dish("蒜蓉烤茄子", 12, 18, ("茄子",), 1), Dish("麻辣小龙虾", 68, 98, ("龙虾", "小龙虾", "虾"), 2),
    )),
    TakeawayShop("小町寿司", "日韩料理", (
        Dish("三文鱼寿司拼盘", 38, 58, ("寿司", "三文鱼"), 1), Dish("石锅拌饭", 26, 36, ("拌饭",), 2),
        Dish("日式猪排饭", 28, 38, ("猪排",), 1),
    )),
)


def waimai_file(path: Path | None = None) -> Path:
    """The review CSV under `path` (the file itself or its folder; default ../shared/datasets/waimai_10k).
    Raises DemoDataMissing naming the place looked at and the option that changes it."""
    place = Path(path) if path is not None else WAIMAI_DEFAULT_PATH
    # A path ending in .csv is the file itself; anything else is the folder that holds it.
    candidate = place if place.suffix.lower() == ".csv" else place / WAIMAI_FILE_NAME
    if not candidate.is_file():
        raise DemoDataMissing(
            f"The Chinese demo reads its reviews from {candidate}, which does not exist. Put the waimai_10k "
            f"data set there (../shared/datasets/waimai_10k/{WAIMAI_FILE_NAME}, see ../shared/datasets/README.md) "
            "or pass --reviews-path PATH (the CSV file or its folder)."
        )
    return candidate


@lru_cache(maxsize=2)
def waimai_reviews_read(path: Path) -> tuple[WaimaiReview, ...]:
    """Every row of the CSV (columns label, review), in file order; blank reviews are left out.
    A label other than 0/1 is an error naming its line. Cached: tests build the demo many times."""
    reviews = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"label", "review"} - set(reader.fieldnames or ())
        if missing:
            raise DemoDataMissing(f"{path}: expected the columns label, review; missing {', '.join(sorted(missing))}.")
        for row_id, row in enumerate(reader, start=1):
            label, text = (row["label"] or "").strip(), (row["review"] or "").strip()
            if label not in ("0", "1"):
                raise DemoDataMissing(f"{path}, line {reader.line_num}: label {label!r} is not 0 or 1.")
            if text:
                reviews.append(WaimaiReview(row_id=row_id, positive=label == "1", text=text))
    return tuple(reviews)


def _keyword_dishes() -> list[tuple[str, int]]:
    """(keyword, dish number) pairs, longest keyword first, so "酸菜鱼" wins over "鱼"."""
    pairs, number = [], 0
    for shop in TAKEAWAY_SHOPS:
        for dish in shop.dishes:
            number += 1
            pairs.extend((keyword, number) for keyword in dish.keywords)
    return sorted(pairs, key=lambda pair: -len(pair[0]))


def dishes_assign(reviews: Sequence[WaimaiReview], *, seed: int) -> dict[int, int]:
    """Review row id -> dish number (1-based, catalogue order): the dish its text names, else a
    seeded draw weighted by the dishes' popularity."""
    keywords = _keyword_dishes()
    dishes = [dish for shop in TAKEAWAY_SHOPS for dish in shop.dishes]
    numbers = list(range(1, len(dishes) + 1))
    weights = [dish.popularity for dish in dishes]
    assigned = {}
    for review in reviews:
        named = next((number for keyword, number in keywords if keyword in review.text), None)
        if named is None:
            named = random.Random(f"{seed}:zh-dish:{review.row_id}").choices(numbers, weights)[0]
        assigned[review.row_id] = named
    return assigned


def zh_catalog_build(*, dish_of_review: dict[int, int], seed: int) -> tuple[DemoProduct, ...]:
    """One product per dish, most-reviewed first (ties by number). `clothing_id` holds the dish
    number (the English shop's field for the source item id); `review_count` is at least 1 so
    that every dish is sold (stock codes map onto products by review share)."""
    reviews_per_dish = Counter(dish_of_review.values())
    products, number = [], 0
    for shop in TAKEAWAY_SHOPS:
        for dish in shop.dishes:
            number += 1
            rng = random.Random(f"{seed}:zh-product:{number}")
            # Menu prices end in .00, .80 or .90 (22.80, 19.90).
            cents = rng.choice((0, 80, 90)) if dish.high - dish.low > 2 else 0
            price = Decimal(rng.randint(dish.low, dish.high - (1 if cents else 0))) + Decimal(cents) / 100
            products.append(DemoProduct(
                sku=f"{PRODUCT_SKU_PREFIX}{number:03d}",
                clothing_id=str(number),
                title=f"{dish.name}（{shop.name}）",
                description=f"{shop.name}的{dish.name}，{shop.category}，下单现做，外卖送达。",
                category=shop.category,
                brand=shop.name,
                price=price.quantize(Decimal("0.01")),
                review_count=max(1, reviews_per_dish[number]),
            ))
    products.sort(key=lambda p: (-p.review_count, int(p.clothing_id)))
    return tuple(products)
