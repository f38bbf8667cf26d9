"""docs/deploy.md's StatefulSet read against `k351c fleet`: its flags parse and its prose matches the shards."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.main import get_command

from k351c.cli.fleet import ShardSpec, shard_specs
from k351c.cli.main import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def _pod_command(text: str, ordinal: int) -> list[str]:
    """The `k351c fleet` arguments the StatefulSet's pod ``ordinal`` runs."""
    block = re.search(r"exec k351c fleet (.*?)(?:\n\s*\n|\n\s*ports:|\n\s*resources:)", text, re.S)
    assert block, "no `exec k351c fleet` in the StatefulSet"
    line = block.group(1).replace("\\\n", " ").split("\n")[0]
    return shlex.split(line.replace('"$SHARD"', str(ordinal)))


def _spec_of(args: list[str]) -> tuple[ShardSpec, int]:
    params = get_command(app).commands["fleet"].make_context("fleet", args).params
    base = ShardSpec(
        0,
        0,
        params["meters"],
        str(params["state"]),
        0,
        params["host"],
        params["dlms_base_port"],
        params["hdlc_base_port"],
        params["shared_port"],
        params["shared_hdlc_port"],
    )
    (spec,) = shard_specs(base, params["meters"], params["processes"], params["shard"])
    return spec, params["processes"]


def test_statefulset_pod_two_is_the_shard_the_text_describes():
    text = DOC.read_text()
    spec, processes = _spec_of(_pod_command(text, 2))
    assert int(re.search(r"replicas: (\d+)", text).group(1)) == processes
    first, last = spec.offset, spec.offset + spec.count - 1
    assert f"meters {first:,}..{last:,}" in text
    assert f"serials first+{first}" in text
    ports = f"{spec.dlms_base_port}..{spec.dlms_base_port + spec.count - 1}"
    assert f"wrapper\nports {ports}" in text or f"wrapper ports {ports}" in text
    assert f"shared wrapper port {spec.shared_port}" in text
    assert f"`{spec.state}/fleet.npz`" in text
    assert spec.dlms_base_port + spec.count - 1 < 65536


def test_every_pod_ordinal_of_the_statefulset_is_a_shard_and_one_more_is_refused():
    text = DOC.read_text()
    replicas = int(re.search(r"replicas: (\d+)", text).group(1))
    specs = [_spec_of(_pod_command(text, k))[0] for k in range(replicas)]
    assert [s.index for s in specs] == list(range(replicas))
    assert [s.offset for s in specs[1:]] == [s.offset + s.count for s in specs[:-1]]
    meters = get_command(app).commands["fleet"].make_context("fleet", _pod_command(text, 0))
    assert specs[-1].offset + specs[-1].count == meters.params["meters"]
    with pytest.raises(typer.BadParameter):
        _spec_of(_pod_command(text, replicas))
