"""The web app in English and Simplified Chinese: the switch, Accept-Language, money and dates."""

import re
from datetime import date
from decimal import Decimal
from gettext import GNUTranslations
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import override_settings
from django.utils import formats, translation

from members.templatetags.web_ui import money
from tests.factories import MemberFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


class TestLanguage:
    def test_english_is_the_default(self, merch_client):
        html = merch_client.get("/").content.decode()
        assert '<html lang="en">' in html
        assert "<h1>Dashboard</h1>" in html
        assert 'name="language" value="zh-hans"' in html  # the switch offers Chinese

    def test_a_chinese_browser_gets_chinese_pages(self, merch_client):
        html = merch_client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5").content.decode()
        assert '<html lang="zh-hans">' in html
        assert "<h1>仪表盘</h1>" in html
        assert ">营销活动</a>" in html  # the navigation

    def test_the_switch_stores_the_choice_for_a_signed_in_user(self, merch_client):
        response = merch_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/campaigns/"})
        assert response.status_code == 302 and response["Location"] == "/campaigns/"
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"

        html = merch_client.get("/campaigns/").content.decode()
        assert re.search(r"<h1>营销活动 <a [^>]*>提议营销活动</a></h1>", html)
        assert "<h1>营销活动" in html and "待审批" in html  # the tab labels come from the view

        merch_client.post("/i18n/setlang/", {"language": "en", "next": "/campaigns/"})
        assert "<h1>Campaigns" in merch_client.get("/campaigns/").content.decode()

    def test_the_switch_refuses_to_redirect_off_site(self, merch_client):
        response = merch_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_signed_out_pages_offer_the_switch_after_the_login_form(self, client):
        html = client.get("/login/").content.decode()
        assert html.index('id="language-switch"') > html.index('action="/login/"')

    def test_form_errors_and_bulk_messages_are_translated(self, merch_client):
        html = merch_client.get(
            "/reviews/?date_from=2026-05-02&date_to=2026-05-01", HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        assert "结束日期早于开始日期。" in html
        html = merch_client.post(
            "/tier-changes/decide/", {"action": "approve"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        assert "请先至少选择一项提议。" in html

    def test_member_detail_and_recommendations_speak_chinese(self, merch_client):
        member = MemberFactory(external_id="ANN")
        html = merch_client.get(f"/members/{member.external_id}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "<h2>流失风险</h2>" in html and "<h2>未来 90 天</h2>" in html and "<h3>下一等级</h3>" in html
        assert "Churn risk" not in html and "Next 90 days" not in html

        html = merch_client.get("/recommendations/?member=ANN", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "<h1>商品推荐</h1>" in html and "<h2>为会员推荐什么</h2>" in html and "<h2>谁可能购买</h2>" in html
        assert "该会员暂无推荐" in html and "What to offer a member" not in html

    @pytest.mark.parametrize(
        ("url", "chinese"),
        [
            ("/segments/new/", ["<h1>新建规则分群</h1>", "会员需满足", "最近 365 天消费", "至少"]),
            ("/tiers/", ["政策与门槛", "资格统计窗口（天）", "立即执行升级", "另存为新版本"]),
            ("/models/", ["暂无流失模型", "运行回测"]),
        ],
    )
    def test_builder_policy_and_model_pages_speak_chinese(self, merch_client, url, chinese):
        html = merch_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert [text for text in chinese if text not in html] == []

    def test_the_admin_speaks_chinese_too(self, client, admin_user):
        client.force_login(admin_user)
        html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "站点管理" in html  # Django's own zh_Hans catalogue


class TestCatalogue:
    def test_every_message_has_a_compiled_chinese_translation(self):
        """The .mo in the repository matches the .po: a fresh clone needs no gettext tools."""
        msgids = _po_msgids(LOCALE_DIR / "django.po")
        with open(LOCALE_DIR / "django.mo", "rb") as mo:
            catalogue = GNUTranslations(mo)
        assert len(msgids) > 200
        untranslated = [m for m in msgids if catalogue.gettext(m) == m or not catalogue.gettext(m)]
        assert untranslated == []


    def test_the_po_file_has_no_empty_or_fuzzy_translation(self):
        """makemessages leaves new msgids empty and marks its guesses fuzzy; msgfmt drops both from the .mo,
        so the page would silently stay English. Plural entries (msgstr[0]) count too."""
        text = (LOCALE_DIR / "django.po").read_text(encoding="utf-8")
        assert "#, fuzzy" not in text and ", fuzzy" not in text
        entries = text.split("\n\n")[1:]  # the first entry is the header, whose msgid is empty
        empty_msgstr = re.compile(r'^msgstr(\[\d+\])? ""\n(?!")', re.MULTILINE)
        empty = [e for e in entries if not e.startswith("#~") and empty_msgstr.search(e + "\n")]
        assert empty == []


def _po_msgids(path: Path) -> list[str]:
    """Singular msgids of a .po file (continuation lines joined), without the header."""
    msgids, current = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            current = [line[len("msgid "):]]
        elif line.startswith('"') and current is not None:
            current.append(line)
        else:
            if current is not None:
                text = "".join(part[1:-1] for part in current).replace('\\"', '"').replace("\\\\", "\\")
                if text:
                    msgids.append(text)
            current = None
    return msgids


class TestMoney:
    def test_the_shop_currency_is_dollars_by_default(self):
        assert settings.SHOP_CURRENCY == "USD"
        assert money(Decimal("1234.5")) == "$1,234.50"

    @override_settings(SHOP_CURRENCY="CNY")
    def test_a_chinese_shop_shows_yuan(self):
        assert money(Decimal("1234.5")) == "¥1,234.50"
        with translation.override("zh-hans"):
            assert money("98765.432") == "¥98,765.43"

    def test_an_order_currency_wins_over_the_shop_currency(self):
        assert money(Decimal("4321.5"), "GBP") == "£4,321.50"
        assert money(Decimal(10), "SEK") == "SEK 10.00"

    def test_missing_and_negative_amounts(self):
        assert money(None) == "—" and money("") == "—"
        assert money(Decimal("-12.345")) == "-$12.35"

    @override_settings(SHOP_CURRENCY="CNY")
    def test_campaign_budgets_use_the_shop_currency(self):
        html = Template("{% load campaign_ui %}{{ budget|money }}").render(Context({"budget": Decimal(500)}))
        assert html == "¥500.00"


class TestDates:
    def test_dates_follow_the_language(self):
        day = date(2026, 12, 3)
        with translation.override("en"):
            assert formats.date_format(day, "DATE_FORMAT") == "3 Dec 2026"
            assert formats.date_format(day, "MONTH_DAY_FORMAT") == "3 Dec"
        with translation.override("zh-hans"):
            assert formats.date_format(day, "DATE_FORMAT") == "2026年12月3日"
            assert formats.date_format(day, "MONTH_DAY_FORMAT") == "12月3日"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test that activates Chinese must not leave it active for the next one."""
    yield
    translation.activate(settings.LANGUAGE_CODE)
