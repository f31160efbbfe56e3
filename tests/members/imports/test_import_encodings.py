"""import_csv --encoding: GB18030/GBK and UTF-16 files import with the right characters; a bad byte
rejects its line (named by line, byte and encoding) and the other lines are kept."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.imports.services.csv_import import ImportFileError, import_csv_file
from members.imports.services.csv_import_encoding import csv_file_encoding
from members.imports.services.csv_import_specs import SPECS
from members.imports.services.import_jobs import ImportJobError, import_job_create, import_job_run_again
from members.models import ImportJob, ImportJobStatus, Member, Product

pytestmark = pytest.mark.django_db

NAMES = {"C1": "王小明", "C2": "李娜", "C3": "欧阳锋"}
TITLES = {"P1": "纯棉短袖T恤（白色）", "P2": "真丝围巾·春季新款", "P3": "羊毛开衫"}


def _members_text(names: dict[str, str], country: str = "中国", city: str = "上海") -> str:
    lines = [",".join(SPECS["members"].header)]
    lines += [f"{key},,{name},2024-05-01,{country},{city},,,,," for key, name in names.items()]
    return "\r\n".join(lines) + "\r\n"  # Excel ends lines with CRLF


def _products_text(titles: dict[str, str]) -> str:
    lines = [",".join(SPECS["products"].header)]
    lines += [f"{sku},{title},,服装,北风,99.00,CNY,true" for sku, title in titles.items()]
    return "\r\n".join(lines) + "\r\n"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_csv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_gb18030_file_is_detected_and_its_chinese_names_and_titles_import_exactly(tmp_path):
    members = _write(tmp_path, "members.csv", _members_text(NAMES).encode("gb18030"))
    products = _write(tmp_path, "products.csv", _products_text(TITLES).encode("gb18030"))

    members_out, _ = _run("members", str(members))
    products_out, _ = _run("products", str(products))

    assert "3 created" in members_out and "encoding: GB18030 (detected)" in members_out
    assert "3 created" in products_out and "encoding: GB18030 (detected)" in products_out
    assert dict(Member.objects.values_list("external_id", "name")) == NAMES
    assert set(Member.objects.values_list("city", flat=True)) == {"上海"}
    assert dict(Product.objects.values_list("sku", "title")) == TITLES
    assert set(Product.objects.values_list("brand", flat=True)) == {"北风"}


def test_a_gbk_file_reads_as_gb18030_which_contains_it(tmp_path):
    path = _write(tmp_path, "members.csv", _members_text(NAMES).encode("gbk"))

    report = import_csv_file(kind="members", path=path)

    assert (report.encoding, report.created, report.errors) == ("gb18030", 3, [])
    assert dict(Member.objects.values_list("external_id", "name")) == NAMES


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_with_a_byte_order_mark_imports(tmp_path, codec):
    text = _products_text(TITLES)
    if codec != "utf-16":
        text = "\ufeff" + text  # the explicit-endian codecs write no mark themselves
    path = _write(tmp_path, "products.csv", text.encode(codec))

    out, _ = _run("products", str(path))

    assert "3 created" in out and "encoding: UTF-16 (byte-order mark)" in out
    assert dict(Product.objects.values_list("sku", "title")) == TITLES


def test_utf16_asked_for_without_a_byte_order_mark_is_read_little_endian(tmp_path):
    path = _write(tmp_path, "products.csv", _products_text(TITLES).encode("utf-16-le"))

    out, _ = _run("products", str(path), "--encoding", "utf-16")

    assert "encoding: UTF-16LE (asked for; no byte-order mark, read little-endian)" in out
    assert dict(Product.objects.values_list("sku", "title")) == TITLES


def test_a_gb18030_file_with_one_bad_byte_rejects_that_line_and_keeps_the_others(tmp_path):
    data = _members_text(NAMES).encode("gb18030")
    # Line 3 (C2): the name is cut to the first byte of 李 (C0 EE), so 0xC0 is followed by ",": no GB18030 pair.
    data = data.replace("李娜".encode("gb18030"), b"\xc0")
    path = _write(tmp_path, "members.csv", data)

    with pytest.raises(CommandError, match="1 of 3 rows were rejected"):
        out, err = StringIO(), StringIO()
        call_command("import_csv", "members", str(path), stdout=out, stderr=err)

    assert "encoding: GB18030 (detected)" in out.getvalue()
    assert err.getvalue().splitlines() == ["line 3: not valid GB18030 (byte 0xc0 at position 5)"]
    assert dict(Member.objects.values_list("external_id", "name")) == {"C1": NAMES["C1"], "C3": NAMES["C3"]}


def test_utf8_asked_for_on_a_gb18030_file_rejects_each_chinese_line_by_line(tmp_path):
    path = _write(tmp_path, "members.csv", _members_text(NAMES).encode("gb18030"))

    with pytest.raises(CommandError, match="3 of 3 rows were rejected") as raised:
        out, err = StringIO(), StringIO()
        call_command("import_csv", "members", str(path), "--encoding", "utf-8", stdout=out, stderr=err)

    assert raised.value.returncode == 1
    assert "encoding: UTF-8 (asked for)" in out.getvalue()
    lines = err.getvalue().splitlines()
    assert [line.split(":")[0] for line in lines] == ["line 2", "line 3", "line 4"]
    assert all("not valid UTF-8 (byte 0x" in line for line in lines)
    assert Member.objects.count() == 0


def test_gb18030_asked_for_imports_a_gb18030_file(tmp_path):
    path = _write(tmp_path, "products.csv", _products_text(TITLES).encode("gb18030"))

    out, _ = _run("products", str(path), "--encoding", "gb18030")

    assert "encoding: GB18030 (asked for)" in out
    assert dict(Product.objects.values_list("sku", "title")) == TITLES


def test_a_utf8_chinese_file_with_one_corrupt_line_stays_utf8_and_rejects_only_that_line(tmp_path):
    # UTF-8 Chinese text is often valid GB18030 too: the per-line vote keeps the file UTF-8.
    data = _members_text(NAMES).encode("utf-8").replace("李娜".encode(), "李".encode() + b"\xa8")
    path = _write(tmp_path, "members.csv", data)

    report = import_csv_file(kind="members", path=path)

    assert report.encoding == "utf-8"
    assert [(e.line, e.reason) for e in report.errors] == [(3, "not valid UTF-8 (byte 0xa8 at position 8)")]
    assert dict(Member.objects.values_list("external_id", "name")) == {"C1": NAMES["C1"], "C3": NAMES["C3"]}


def test_a_latin1_name_in_a_utf8_file_is_rejected_not_read_as_chinese(tmp_path):
    # "Müller" in Latin-1 (FC 6C) is a valid GB18030 pair, but not a common hanzi: no GB18030 vote.
    data = _members_text({"E1": "Ann", "E2": "Müller"}, country="Germany", city="Berlin").encode("latin-1")
    path = _write(tmp_path, "members.csv", data)

    report = import_csv_file(kind="members", path=path)

    assert report.encoding == "utf-8"
    assert [(e.line, e.reason) for e in report.errors] == [(3, "not valid UTF-8 (byte 0xfc at position 6)")]


def test_plain_utf8_is_not_named_in_the_summary(tmp_path):
    path = _write(tmp_path, "products.csv", _products_text(TITLES).encode("utf-8"))

    out, _ = _run("products", str(path))

    assert "encoding" not in out
    assert csv_file_encoding(path=path).label == "UTF-8"
    assert dict(Product.objects.values_list("sku", "title")) == TITLES


def test_an_encoding_contradicting_the_byte_order_mark_rejects_the_file(tmp_path):
    path = _write(tmp_path, "products.csv", _products_text(TITLES).encode("utf-16"))

    with pytest.raises(ImportFileError, match="UTF-16 byte-order mark but was to be read as GB18030"):
        import_csv_file(kind="products", path=path, encoding="gb18030")
    with pytest.raises(CommandError, match="Nothing was imported"):
        _run("products", str(path), "--encoding", "utf-8")
    assert Product.objects.count() == 0


def test_a_broken_utf16_surrogate_rejects_its_line_only(tmp_path):
    text = _products_text(TITLES).replace("羊毛", "羊\ud800")
    path = _write(tmp_path, "products.csv", text.encode("utf-16", "surrogatepass"))

    report = import_csv_file(kind="products", path=path)

    assert [(e.line, e.reason) for e in report.errors] == [
        (4, "not valid UTF-16 (a broken surrogate pair at character 5)")
    ]
    assert set(Product.objects.values_list("sku", flat=True)) == {"P1", "P2"}


def test_a_background_job_detects_gb18030(tmp_path, django_capture_on_commit_callbacks, monkeypatch):
    from memberhub.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    path = _write(tmp_path, "members.csv", _members_text(NAMES).encode("gb18030"))

    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(kind="members", path=path)

    job.refresh_from_db()
    assert (job.status, job.created, job.rejected) == (ImportJobStatus.SUCCEEDED, 3, 0)
    assert (job.encoding, job.encoding_used) == ("auto", "GB18030 (detected)")
    assert dict(Member.objects.values_list("external_id", "name")) == NAMES


def test_a_background_job_keeps_the_named_encoding_for_its_runs(tmp_path, django_capture_on_commit_callbacks,
                                                              monkeypatch):
    from memberhub.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)
    path = _write(tmp_path, "members.csv", _members_text(NAMES).encode("gb18030"))

    with django_capture_on_commit_callbacks(execute=True):
        _run("members", str(path), "--background", "--encoding", "gb18030")
    job = ImportJob.objects.get()
    assert (job.status, job.encoding, job.encoding_used, job.created) == (
        ImportJobStatus.SUCCEEDED, "gb18030", "GB18030 (asked for)", 3)
    with django_capture_on_commit_callbacks(execute=True):
        [again] = import_job_run_again(job_ids=[job.pk])
    again.refresh_from_db()
    assert (again.encoding, again.status, again.unchanged) == ("gb18030", ImportJobStatus.SUCCEEDED, 3)
    with pytest.raises(ImportJobError, match="Unknown encoding"):
        import_job_create(kind="members", path=path, encoding="latin-1")
