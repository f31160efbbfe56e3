"""Settings for bench/api_bench.py only: the product's settings plus the bench's baseline route.

The product never loads this module (its URLs stay memberhub.urls). The throttle still runs on every
request (one Redis INCR per call, as in production); the rate is only raised so it never refuses one.
"""

import warnings

from memberhub.settings import *

ROOT_URLCONF = "bench.bench_urls"
API_THROTTLE_RATE = "1000000000/min"

# The bench serves no static files; WhiteNoise's warning about a missing STATIC_ROOT is noise here.
warnings.filterwarnings("ignore", message="No directory at")
