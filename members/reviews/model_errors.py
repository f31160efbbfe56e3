"""The error review-model services raise for a request they refuse, with the reason in words."""


class TrainingError(ValueError):
    """A run that cannot be created or changed as asked; the message is for people."""
