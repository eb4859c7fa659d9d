"""The compiler run end to end: the stages in order, whether the tree is up to date,
and the draft of a site spec (hagen init)."""
