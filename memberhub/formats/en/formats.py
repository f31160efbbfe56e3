"""English formats of the web app (settings.FORMAT_MODULE_PATH); the rest come from Django's "en".

The pages show dates as "3 Dec 2026" and chart axes as "3 Dec"; naming them here lets templates
ask for DATE_FORMAT / MONTH_DAY_FORMAT and get the Chinese forms in zh-hans.
"""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
