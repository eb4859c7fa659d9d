"""Deploying an output tree: gather what the nodes hold, push what differs, make them take it.

    fanout    the site's fan-out tools (pdcp/pdsh/rpdcp or clush) and per-node outcomes
    state     a file's state as a node holds it (its type and reader: hagen.emit.nodes), the manifest re-checked
    expected  commands the /etc/HA service lists call that hagen does not write
    inventory what each node holds at the paths gather is about to fetch, one call per node set
    gather    fetch the managed files from the nodes into a <host>/<path> tree, record them
    plan      what a push sends: from the tree and the record, or from a reviewed plan
    actions   the follow-up action each artifact kind declares (ccs_tool, exportfs -ra, ...)
    staging   the verified bytes a push sends, each content read and staged once
    push      send a plan, per-node results, resumable (the record journaled per call)
    session   one push start to end, the output tree locked: what `hagen push` runs

Entry points for other commands: expected.missing_expected(out) (diff's warnings),
expected.expected_commands(compiled), plan.read_plan(path).
"""
