"""What an administrator reads before a deploy: the structural diff (diff; compare runs
it for `hagen diff`) and explain."""
