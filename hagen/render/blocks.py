"""Managed blocks: hagen's lines in a file it shares with the system and its administrator
(/etc/fstab, /etc/modprobe.conf, /etc/sudoers on RHEL5, /etc/exports, /etc/hosts-tpl).

hagen owns only the lines between `# BEGIN hagen NAME` and `# END hagen NAME`; the rest
of the node's file, as gathered from it, is kept byte for byte. A file without the block
gets it appended at its end; a file holding two blocks of one name, or a block without
its end, is refused: hagen cannot tell which one it owns.

merge_block is a pure function; what a node's file holds now comes from gather's record
(hagen.emit.nodes.node_content), asked by the pipeline.
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
    """Whether line (ending at its LF) is the marker alone. A CR counts only as part of a CRLF
    ending: a lone CR inside a line is not a line break to the programs that read these files
    (`# END hagen x\r/dev/sdb /data` is one comment line to mount), so it is not one here."""
    body = line[:-1] if line.endswith(b"\n") else line
    if body.endswith(b"\r"):
        body = body[:-1]
    return body.rstrip(b" \t") == marker


def lines_of(text: bytes) -> list[bytes]:
    """text's lines as the node's programs read them: split after each LF only, ends kept."""
    parts = text.split(b"\n")
    out = [p + b"\n" for p in parts[:-1]]
    return out + [parts[-1]] if parts[-1] else out


_BEGIN = b"# BEGIN hagen "
_END = b"# END hagen "


def own_lines(data: bytes) -> bytes:
    """data without any of hagen's blocks (whatever their names): the node's own lines, byte for
    byte. Raises BlockError when a block has no end or ends are not paired."""
    kept, inside = [], None
    for line in lines_of(data):
        body = line.rstrip(b"\r\n").rstrip(b" \t")
        if inside is None and body.startswith(_BEGIN):
            inside = body[len(_BEGIN):]
            continue
        if inside is not None:
            if body.startswith(_END):
                if body[len(_END):] != inside:
                    raise UnterminatedBlock(f"the block named {inside.decode('ascii', 'replace')!r} ends with "
                                            f"another name's end marker")
                inside = None
            continue
        if body.startswith(_END):
            raise UnterminatedBlock("an end marker without its begin")
        kept.append(line)
    if inside is not None:
        raise UnterminatedBlock(f"the block named {inside.decode('ascii', 'replace')!r} has no end marker")
    return b"".join(kept)


def merge_block(existing: bytes | None, name: str, block: bytes) -> bytes:
    """existing with its block `name` replaced by block (between markers), or the block
    appended at its end; an empty file when existing is None. Raises DuplicateBlock when
    existing has two blocks of that name, UnterminatedBlock when a begin has no end."""
    begin, end = markers(name)
    body = block if not block or block.endswith(b"\n") else block + b"\n"
    wrapped = begin + b"\n" + body + end + b"\n"
    text = existing or b""
    lines = lines_of(text)
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
