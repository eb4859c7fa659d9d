"""What an administrator reads before a deploy: the structural diff and explain."""
