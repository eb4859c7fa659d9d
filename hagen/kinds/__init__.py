"""What hagen knows about each artifact kind."""
