from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import ImportJob, Product

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTS = "sku,title,description,category,brand,price,currency,active\nB1,Wool scarf,,Accessories,Northwind,19.90,GBP,true\n"


def test_background_import_queues_a_job_that_a_worker_runs(tmp_path: Path, capsys):
    path = tmp_path / "products.csv"
    path.write_text(PRODUCTS)

    # Tests run tasks in-process (CELERY_TASK_ALWAYS_EAGER), so the job has run once the command returns.
    call_command("import_csv", "products", str(path), "--background")

    job = ImportJob.objects.get()
    assert f"Queued import job {job.pk}" in capsys.readouterr().out
    assert job.status == "succeeded"
    assert job.created == 1
    assert Product.objects.filter(sku="B1").exists()


def test_background_import_of_a_missing_file_is_refused_without_a_job(tmp_path: Path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_csv", "products", str(tmp_path / "missing.csv"), "--background")
    assert not ImportJob.objects.exists()
