"""The progress printer (ml.progress) for a management command's stdout."""

from django.core.management.base import BaseCommand

from ml.progress import Progress


def command_progress(command: BaseCommand) -> Progress:
    """Progress on the command's real stream: Django's OutputWrapper would end each of tqdm's
    in-place redraws with a newline. Still the stream `call_command(stdout=...)` passed."""
    return Progress(stream=getattr(command.stdout, "_out", command.stdout))
