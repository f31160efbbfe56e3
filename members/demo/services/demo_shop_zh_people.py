"""Believable, clearly fictional Chinese members for the Chinese demo shop, generated deterministically.

A person is a pure function of (seed, key), like the English shop's (demo_shop_people). Names are
a common surname and a one- or two-character given name; the email is its pinyin at a reserved
example.* domain (RFC 2606), so no real mailbox is named. Cities are China's large delivery
markets, the biggest drawn more often.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (characters, pinyin): the commonest surnames first.
SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"), ("黄", "huang"),
    ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"), ("马", "ma"), ("朱", "zhu"),
    ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"), ("高", "gao"), ("罗", "luo"), ("郑", "zheng"),
    ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"),
    ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"),
    ("潘", "pan"), ("袁", "yuan"), ("蔡", "cai"), ("蒋", "jiang"), ("余", "yu"), ("于", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("魏", "wei"), ("苏", "su"), ("吕", "lv"), ("丁", "ding"), ("任", "ren"),
    ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"), ("钟", "zhong"), ("谭", "tan"),
    ("陆", "lu"), ("范", "fan"), ("汪", "wang"), ("廖", "liao"), ("石", "shi"), ("金", "jin"), ("贾", "jia"),
    ("方", "fang"), ("欧阳", "ouyang"), ("司马", "sima"),
)
FEMALE_GIVEN_NAMES = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"), ("婷", "ting"),
    ("雪", "xue"), ("琳", "lin"), ("洁", "jie"), ("欣怡", "xinyi"), ("雨涵", "yuhan"), ("梓涵", "zihan"),
    ("诗琪", "shiqi"), ("思雨", "siyu"), ("佳怡", "jiayi"), ("子萱", "zixuan"), ("晓燕", "xiaoyan"),
    ("丽娟", "lijuan"), ("秀英", "xiuying"), ("慧敏", "huimin"), ("婉清", "wanqing"), ("梦瑶", "mengyao"),
    ("雅婷", "yating"), ("嘉欣", "jiaxin"), ("一诺", "yinuo"), ("文静", "wenjing"), ("春梅", "chunmei"),
    ("海燕", "haiyan"), ("明月", "mingyue"),
)
MALE_GIVEN_NAMES = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"), ("涛", "tao"),
    ("斌", "bin"), ("超", "chao"), ("鹏", "peng"), ("浩然", "haoran"), ("子轩", "zixuan"), ("宇航", "yuhang"),
    ("俊杰", "junjie"), ("建华", "jianhua"), ("志强", "zhiqiang"), ("明辉", "minghui"), ("家豪", "jiahao"),
    ("天佑", "tianyou"), ("文博", "wenbo"), ("晓东", "xiaodong"), ("国栋", "guodong"), ("博文", "bowen"),
    ("思远", "siyuan"), ("一鸣", "yiming"), ("嘉诚", "jiacheng"), ("海涛", "haitao"), ("立新", "lixin"),
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
COUNTRY = "中国"
# (city, weight): the big delivery markets more often.
CITIES = (
    ("上海", 10), ("北京", 10), ("广州", 7), ("深圳", 7), ("成都", 6), ("杭州", 5), ("武汉", 5), ("重庆", 5),
    ("南京", 4), ("西安", 4), ("天津", 3), ("苏州", 3), ("长沙", 3), ("郑州", 3), ("青岛", 2), ("厦门", 2),
    ("合肥", 2), ("沈阳", 2), ("昆明", 2), ("大连", 1), ("济南", 1), ("福州", 1), ("南宁", 1), ("哈尔滨", 1),
)
FEMALE_SHARE = 0.52
# Delivery-app users are young: ages drawn from these bands with these weights.
AGE_BANDS = ((18, 24, 30), (25, 34, 40), (35, 44, 20), (45, 60, 10))


@dataclass(frozen=True, slots=True)
class DemoPersonZh:
    name: str
    email: str
    gender: str
    city: str
    country: str
    age: int


def demo_person_zh_make(*, seed: int, key: str) -> DemoPersonZh:
    """A person for customer `key`: name, pinyin email (the key keeps two 王芳 apart), city, age."""
    rng = random.Random(f"{seed}:zh-person:{key}")
    surname, surname_pinyin = rng.choice(SURNAMES)
    female = rng.random() < FEMALE_SHARE
    given, given_pinyin = rng.choice(FEMALE_GIVEN_NAMES if female else MALE_GIVEN_NAMES)
    cities, weights = zip(*CITIES, strict=True)
    low, high, _ = rng.choices(AGE_BANDS, [band[2] for band in AGE_BANDS])[0]
    return DemoPersonZh(
        name=surname + given,
        email=f"{given_pinyin}.{surname_pinyin}{key}@{rng.choice(EMAIL_DOMAINS)}",
        gender="f" if female else "m",
        city=rng.choices(cities, weights)[0],
        country=COUNTRY,
        age=rng.randint(low, high),
    )
