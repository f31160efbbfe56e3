import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_openmp_thread():
    # Small models on a shared CI box: OpenMP threads spinning against each other make a
    # one-second fit take thirty. One thread is faster here and gives the same model.
    with threadpool_limits(limits=1):
        yield
