import pytest

from members.models import SegmentSnapshot
from members.predictions.services.member_refresh import member_refresh_step
from tests.members.segments.conftest import AS_OF, GROUP_SIZE

pytestmark = pytest.mark.django_db


def test_the_refresh_chain_runs_the_segments_step(population, settings):
    settings.MEMBER_SEGMENTS_K = 3
    result = member_refresh_step(step="segments", as_of=AS_OF)
    assert result.ok and result.summary.startswith(f"{3 * GROUP_SIZE} members in 3 learned segments")
    assert SegmentSnapshot.objects.filter(as_of=AS_OF).count() == 3
