"""Managed blocks: hagen's lines in a file it shares with the system and its administrator
(/etc/fstab, /etc/modprobe.conf, /etc/sudoers on RHEL5, /etc/exports, /etc/hosts-tpl).

hagen owns only the lines between `# BEGIN hagen NAME` and `# END hagen NAME`; the rest
of the node's file, as gathered from it, is kept byte for byte. A file without the block
gets it appended at its end; a file holding two blocks of one name, or a block without
its end, is refused: hagen cannot tell which one it owns.

merge_block is a pure function; what a node's file holds now comes from gather's record
(hagen.deploy.state.node_content), asked by the pipeline.
"""

from __future__ import annotations


class BlockError(ValueError):
    """The existing file's blocks of this name cannot be told apart or delimited."""


class DuplicateBlock(BlockError):
    pass


class UnterminatedBlock(BlockError):
    pass


def markers(name: str) -> tuple[bytes, bytes]:
    return f"# BEGIN hagen {name}".encode(), f"# END hagen {name}".encode()


def _is(line: bytes, marker: bytes) -> bool:
    return line.rstrip(b"\r\n").rstrip() == marker


def merge_block(existing: bytes | None, name: str, block: bytes) -> bytes:
    """existing with its block `name` replaced by block (between markers), or the block
    appended at its end; an empty file when existing is None. Raises DuplicateBlock when
    existing has two blocks of that name, UnterminatedBlock when a begin has no end."""
    begin, end = markers(name)
    body = block if not block or block.endswith(b"\n") else block + b"\n"
    wrapped = begin + b"\n" + body + end + b"\n"
    text = existing or b""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _is(line, begin)]
    ends = [i for i, line in enumerate(lines) if _is(line, end)]
    if len(starts) > 1 or len(ends) > 1:
        raise DuplicateBlock(f"{max(len(starts), len(ends))} blocks named {name!r} "
                             f"(lines {', '.join(str(i + 1) for i in starts or ends)})")
    if not starts and not ends:
        if text and not text.endswith(b"\n"):
            text += b"\n"
        return text + wrapped
    if not starts or not ends or ends[0] < starts[0]:
        raise UnterminatedBlock(f"the block named {name!r} has a "
                                f"{'begin' if starts else 'end'} marker (line {(starts or ends)[0] + 1}) "
                                f"without its {'end' if starts else 'begin'}")
    return b"".join(lines[:starts[0]]) + wrapped + b"".join(lines[ends[0] + 1:])
