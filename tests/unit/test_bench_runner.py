"""``jxc bench --only``: benchmarks chosen by their module's name."""

from __future__ import annotations

import pytest

from benchmarks import runner


def test_each_benchmark_is_named_by_its_module() -> None:
    names = [runner.name_of(bench) for bench in runner.benchmarks()]
    assert "callback" in names and "posting" in names
    assert len(set(names)) == len(names)


async def test_an_unknown_name_is_refused_with_the_names_there_are_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="no benchmark named nosuch; there are posting, ") as error:
        await runner.run(quick=True, pg_url="postgresql://unused", only=["callback", "nosuch"])
    assert "callback" in str(error.value)
