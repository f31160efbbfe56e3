"""Simplified Chinese formats (settings.FORMAT_MODULE_PATH); the rest come from Django's "zh_Hans".

Django's zh_Hans formats print numbers without grouping ("12345.60"); Chinese shops and the CLDR
zh locale group thousands with commas ("¥12,345.60"), which the money figures need to be read at a glance.
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
