"""hagen: compile the HA configuration of a Bull-style HPC cluster.

The pipeline, one subpackage or module per stage:

    load   (hagen.load)    site spec (YAML) + ClusterDB rows (PostgreSQL or snapshot)
    model  (hagen.model)   frozen, typed view of the cluster
    check  (hagen.check)   report items; errors stop the build before anything renders
    plan   (hagen.plan)    which artifact goes to which hosts, with which context
    render (hagen.render)  templates/ are data; each distinct context is rendered once
    emit   (hagen.emit)    content-addressed objects, journal, manifest
    kinds  (hagen.kinds)   each kind of file as one object: template, validator, diff, action

hagen.compile.pipeline strings them together; hagen.cli is a thin typer front end.
"""

__version__ = "0.1.0"
