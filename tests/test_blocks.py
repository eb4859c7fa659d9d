"""Managed blocks (hagen.render.blocks.merge_block): the node's own lines kept byte for
byte outside hagen's block; a file without the block gets it appended; two blocks of one
name, or a block without its end, refused."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from hagen.render.blocks import DuplicateBlock, UnterminatedBlock, merge_block

BLOCK = b"xenanfs:/home_nfs /home_nfs nfs defaults 0 0\n"


def test_nothing_gathered_gives_the_block_alone():
    assert merge_block(None, "nfs", BLOCK) == b"# BEGIN hagen nfs\n" + BLOCK + b"# END hagen nfs\n"


def test_the_sites_lines_before_and_after_come_back_byte_for_byte():
    before = b"# /etc/fstab of xena20\r\nLABEL=/ / ext3 defaults 1 1\n\n"
    after = b"tmpfs /dev/shm tmpfs defaults 0 0\n# no newline at the end"
    existing = before + b"# BEGIN hagen nfs\nold line 0 0\n# END hagen nfs\n" + after
    merged = merge_block(existing, "nfs", BLOCK)
    assert merged == before + b"# BEGIN hagen nfs\n" + BLOCK + b"# END hagen nfs\n" + after
    assert merge_block(merged, "nfs", BLOCK) == merged            # idempotent


def test_a_file_without_the_block_gets_it_appended_at_its_end():
    existing = b"LABEL=/ / ext3 defaults 1 1"
    merged = merge_block(existing, "nfs", BLOCK)
    assert merged == existing + b"\n# BEGIN hagen nfs\n" + BLOCK + b"# END hagen nfs\n"


def test_other_blocks_are_left_alone():
    existing = merge_block(b"a\n", "ocfs2", b"/dev/sdj1 /ocfs2shared ocfs2 _netdev 0 0\n")
    merged = merge_block(existing, "nfs", BLOCK)
    assert merged.startswith(existing) and merge_block(merged, "ocfs2", b"x\n").count(b"x\n") == 1


def test_two_blocks_of_one_name_are_refused():
    one = b"# BEGIN hagen nfs\na\n# END hagen nfs\n"
    with pytest.raises(DuplicateBlock):
        merge_block(one + b"local\n" + one, "nfs", BLOCK)


@pytest.mark.parametrize("existing", [b"# BEGIN hagen nfs\na\n", b"a\n# END hagen nfs\n",
                                      b"# END hagen nfs\n# BEGIN hagen nfs\n"])
def test_a_block_without_its_end_is_refused(existing):
    with pytest.raises(UnterminatedBlock):
        merge_block(existing, "nfs", BLOCK)


@given(st.binary(max_size=200).filter(lambda b: b"hagen" not in b),
       st.binary(max_size=200).filter(lambda b: b"hagen" not in b))
def test_outside_the_block_any_bytes_are_kept(before, after):
    if before and not before.endswith(b"\n"):
        before += b"\n"
    existing = before + b"# BEGIN hagen nfs\nold\n# END hagen nfs\n" + after
    merged = merge_block(existing, "nfs", BLOCK)
    assert merged == before + b"# BEGIN hagen nfs\n" + BLOCK + b"# END hagen nfs\n" + after


# ---------------------------------------------------------------- in the build (xena: fstab, exports, hosts-tpl)

from example_helpers import Example  # noqa: E402
from hagen.base.errors import InputRefused  # noqa: E402
from hagen.compile.pipeline import build  # noqa: E402

OWN_BEFORE = b"# /etc/fstab of the node\nLABEL=/ / ext3 defaults 1 1\n"
OWN_AFTER = b"tmpfs /dev/shm tmpfs defaults 0 0\n"


@pytest.fixture
def xena(tmp_path):
    return Example(tmp_path)


def gathered(files: dict):
    return lambda nodes, tree, host, path: files.get((host, path))


def test_the_build_merges_each_block_into_the_gathered_file(xena, tmp_path, monkeypatch):
    existing = OWN_BEFORE + b"# BEGIN hagen nfs-clients\nold 0 0\n# END hagen nfs-clients\n" + OWN_AFTER
    monkeypatch.setattr("hagen.emit.nodes.node_content", gathered({("xena20", "/etc/fstab"): existing}))
    build(xena.site, tmp_path / "out")
    got = (tmp_path / "out/xena20/etc/fstab").read_bytes()
    assert got.startswith(OWN_BEFORE) and got.endswith(OWN_AFTER)
    assert b"xenanfs:/home_nfs /home_nfs nfs defaults 0 0\n# END hagen nfs-clients\n" in got
    # nothing gathered from xena21: the block alone
    assert (tmp_path / "out/xena21/etc/fstab").read_bytes().startswith(b"# BEGIN hagen nfs-clients\n")


def test_a_gathered_file_without_the_block_gets_it_at_its_end(xena, tmp_path, monkeypatch):
    monkeypatch.setattr("hagen.emit.nodes.node_content",
                        gathered({("xena11", "/etc/exports"): b"/scratch_local *(rw)\n"}))
    build(xena.site, tmp_path / "out")
    got = (tmp_path / "out/xena11/etc/exports").read_bytes()
    assert got.startswith(b"/scratch_local *(rw)\n# BEGIN hagen nfs-exports\n")
    assert got.endswith(b"# END hagen nfs-exports\n")


def test_ha960_two_blocks_of_one_name_are_refused(xena, tmp_path, monkeypatch):
    one = b"# BEGIN hagen nfs-clients\na 0 0\n# END hagen nfs-clients\n"
    monkeypatch.setattr("hagen.emit.nodes.node_content",
                        gathered({("xena22", "/etc/fstab"): one + OWN_AFTER + one}))
    with pytest.raises(InputRefused) as exc:
        build(xena.site, tmp_path / "out")
    [r] = [r for r in exc.value.reports if r.code == "HA960"]
    assert r.where.host == "xena22" and "/etc/fstab" in r.message
    assert not (tmp_path / "out").exists()


def test_ha961_a_cluster_conf_cannot_be_a_block(xena, tmp_path):
    xena.edit_site(lambda s: s["shared_files"].append("/etc/cluster/cluster.conf"))
    with pytest.raises(InputRefused) as exc:
        build(xena.site, tmp_path / "out")
    [r] = [r for r in exc.value.reports if r.code == "HA961"]
    assert r.where.key == "shared_files[3]" and r.where.line


def test_ha964_a_file_hagen_does_not_write_is_a_warning(xena, tmp_path):
    xena.edit_site(lambda s: s["shared_files"].append("/etc/modprobe.conf"))
    compiled, _ = build(xena.site, tmp_path / "out")
    assert [w for w in compiled.warnings if w.code == "HA964" and w.where.key == "shared_files[3]"]


def test_ha962_a_system_file_written_whole_is_a_warning(xena, tmp_path):
    xena.edit_site(lambda s: s["shared_files"].remove("/etc/exports"))
    compiled, _ = build(xena.site, tmp_path / "out")
    [w] = [w for w in compiled.warnings if w.code == "HA962"]
    assert "/etc/exports" in w.message and w.where.key == "shared_files" and w.where.line
    assert (tmp_path / "out/xena11/etc/exports").read_text().startswith("# /etc/exports of NFS cell")


# ---------------------------------------------------------------- from gather's record

def _record(tmp_path, out, into, host, path, data):
    import hashlib

    from hagen.emit import OutputTree
    from hagen.emit.nodes import FileState, Node, write_nodes

    (into / host / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    (into / host / path.lstrip("/")).write_bytes(data)
    write_nodes(OutputTree(out), {host: Node(True, {path: FileState(hashlib.sha256(data).hexdigest(), "0644")},
                                             str(into), ())})


def test_the_build_merges_into_the_file_gather_recorded(xena, tmp_path):
    from hagen.emit.nodes import read_nodes

    out, into = tmp_path / "out", tmp_path / "gathered"
    _record(tmp_path, out, into, "xena20", "/etc/fstab", OWN_BEFORE + OWN_AFTER)
    build(xena.site, out, nodes_of=read_nodes)
    got = (out / "xena20/etc/fstab").read_bytes()
    assert got.startswith(OWN_BEFORE + OWN_AFTER + b"# BEGIN hagen nfs-clients\n")
    build(xena.site, out, nodes_of=read_nodes)     # after a push the node holds out's file: found there too
    assert (out / "xena20/etc/fstab").read_bytes() == got


def test_the_record_is_an_input_of_the_build_never_read_behind_its_back(xena, tmp_path):
    """Compiling reads no record by itself: without it as an input, the block alone."""
    out, into = tmp_path / "out", tmp_path / "gathered"
    _record(tmp_path, out, into, "xena20", "/etc/fstab", OWN_BEFORE + OWN_AFTER)
    build(xena.site, out)
    assert (out / "xena20/etc/fstab").read_bytes().startswith(b"# BEGIN hagen nfs-clients\n")


def test_ha963_a_gathered_file_changed_since_gather_is_refused(xena, tmp_path):
    out, into = tmp_path / "out", tmp_path / "gathered"
    _record(tmp_path, out, into, "xena20", "/etc/fstab", OWN_BEFORE)
    (into / "xena20/etc/fstab").write_bytes(b"edited after gather\n")
    from hagen.emit.nodes import read_nodes

    with pytest.raises(InputRefused) as exc:
        build(xena.site, out, nodes_of=read_nodes)
    [r] = [r for r in exc.value.reports if r.code == "HA963"]
    assert r.where.host == "xena20" and "gather" in r.hint
