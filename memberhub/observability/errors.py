"""Optional error reporting to Sentry (or any Sentry-compatible service, e.g. GlitchTip).

Off unless SENTRY_DSN is set: then sentry-sdk is initialised once, from settings, for web and
workers alike. With no DSN nothing is imported and nothing leaves the machine.
"""


def error_reporting_init(*, dsn: str | None, environment: str, traces_sample_rate: float) -> bool:
    """Start the Sentry client when `dsn` is set; returns whether it was started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # member e-mails and names stay out of error reports
    )
    return True
