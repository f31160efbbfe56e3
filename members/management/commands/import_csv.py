"""manage.py import_csv KIND FILE: upsert a CSV file of members, products, orders, order items or reviews.

Prints a summary and every rejected line; exits with status 1 when any row was rejected (the
good rows are imported all the same) or when the file cannot be imported at all. With
--background the file is handed to a Celery worker as an ImportJob (see the admin's import jobs);
if the broker is down the job is kept, the command says so, and the job is sent once it is back.
--encoding auto (the default) reads UTF-8, UTF-16 with a byte-order mark, or GB18030/GBK (Chinese
Excel and ERP exports); the summary names any encoding other than plain UTF-8.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from members.imports.services.csv_import import (
    ENCODING_CHOICES,
    IMPORT_KINDS,
    ImportFileError,
    csv_data_rows_count,
    import_csv_file,
)
from members.imports.services.import_jobs import import_job_create
from members.management.progress import command_progress


class Command(BaseCommand):
    help = (
        "Import a CSV file (header row; UTF-8, UTF-16 or GB18030, see --encoding; formats in "
        "docs/csv-formats.md). Re-importing a file changes nothing; changed rows are updated. Bad rows are reported by line and skipped; a key (e.g. an "
        "external_id) may appear once per file, and a repeat is rejected in favour of the first."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=IMPORT_KINDS, help="What the file holds.")
        parser.add_argument("file", type=Path, help="Path to the CSV file.")
        parser.add_argument(
            "--background",
            action="store_true",
            help="Queue the import for a Celery worker and return at once; the result is on the ImportJob.",
        )
        parser.add_argument(
            "--encoding",
            choices=ENCODING_CHOICES,
            default="auto",
            help="How the file is encoded. auto (default): a byte-order mark decides (UTF-8 or UTF-16), else "
            "UTF-8 if the file is valid UTF-8, else GB18030 (GBK) if its non-ASCII lines are mostly Chinese "
            "GB18030 text. Bytes that are not valid in the encoding reject their line, by line and byte.",
        )

    def handle(self, *, kind: str, file: Path, background: bool = False, encoding: str = "auto", **options):
        if background:
            if not file.is_file():
                raise CommandError(f"{file}: no such file.")
            job = import_job_create(kind=kind, path=file.resolve(), encoding=encoding)
            job.refresh_from_db(fields=["enqueued_at"])
            if job.enqueued_at is None:  # the broker was down: the job is kept and sent once it is back
                self.stderr.write(
                    f"Recorded import job {job.pk} ({kind} from {file}), but the broker is unreachable: the job "
                    "stays queued and is sent to a worker automatically within a minute of the broker being back."
                )
                return
            self.stdout.write(f"Queued import job {job.pk} ({kind} from {file}); follow it in the admin's import jobs.")
            return
        progress = command_progress(self)
        try:
            with progress.step(f"import {kind} from {file}", total=csv_data_rows_count(path=file)) as step:
                report = import_csv_file(kind=kind, path=file, encoding=encoding, on_rows=step.advance)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from exc
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror or exc}).") from exc

        self.stdout.write(
            f"{kind} from {file}: {report.rows_total} rows: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected} rejected"
            # Plain UTF-8 is the contract and goes unsaid; anything else is named, and how it was chosen.
            + (f"; encoding: {report.encoding_label}" if report.encoding_label != "UTF-8" else "")
        )
        for error in report.errors:
            self.stderr.write(f"line {error.line}: {error.reason}")
        if not report.ok:
            raise CommandError(
                f"{file}: {report.rejected} of {report.rows_total} rows were rejected (listed above); "
                "the other rows were imported. Fix those lines and import the file again."
            )
