"""Files read back (from a node, a gathered tree, an output tree between runs) are parsed by
a real parser for their format, never matched by a pattern.

A pattern reads what a file looks like, not what its program reads: cluster.conf's
`config_version='7'`, ` config_version = "7"` or a comment holding an older
`config_version="3"` first all fooled the regex that read it, and an older version was
pushed. cman reads the attribute of the root element with an XML parser; so does hagen:

    parse_xml(data)             lxml, no entity expansion, no DTD, no network, bounded depth
    cluster_conf_version(data)  the root <cluster>'s config_version, an integer in cman's range
                                (0 .. 2^32-1); None when the file has no such attribute;
                                UnreadableVersion when it does not parse or the value is no
                                such integer (the caller reports it: per node, never a bug)
    blank_version(data)         canonical XML with config_version blanked: two revisions of
                                one content compare equal

The CIB and every other XML file hagen compares go through parse_xml too.
"""

from __future__ import annotations

MAX_CONFIG_VERSION = 2 ** 32 - 1        # cman keeps config_version in an unsigned 32-bit integer


class UnreadableVersion(ValueError):
    """A cluster.conf whose config_version cannot be known."""


def parse_xml(data: bytes):
    """The root element of data; lxml's XMLSyntaxError (a ValueError) when it is not well-formed
    XML. Entities are not expanded and no DTD or network resource is loaded."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=False)
    root = etree.fromstring(data, parser)
    # a DOCTYPE may declare entities (expanded in attributes whatever the parser is told): no file
    # hagen writes has one, and one read back with it is not read as it shows
    if root.getroottree().docinfo.internalDTD is not None or any(True for _ in root.iter(etree.Entity)):
        raise etree.XMLSyntaxError("the file declares or uses XML entities (a DOCTYPE)", None, 0, 0)
    return root


def cluster_conf_version(data: bytes) -> int | None:
    from lxml import etree

    try:
        root = parse_xml(data)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise UnreadableVersion(f"it is not well-formed XML ({str(exc).splitlines()[0][:120] if str(exc) else ''})")
    if root.tag != "cluster":
        raise UnreadableVersion(f"its root element is <{root.tag}>, not <cluster>")
    text = root.get("config_version")
    if text is None:
        return None
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_CONFIG_VERSION:
        raise UnreadableVersion(f"its config_version {text[:40]!r} is not an integer from 0 to {MAX_CONFIG_VERSION}")
    return int(value)


def blank_version(data: bytes) -> bytes:
    """data as canonical XML with the root's config_version set to 0; data itself when it does
    not parse (it then equals nothing hagen renders)."""
    from lxml import etree

    try:
        root = parse_xml(data)
    except (etree.XMLSyntaxError, ValueError):
        return data
    if root.get("config_version") is not None:
        root.set("config_version", "0")
    return etree.tostring(root, method="c14n")
