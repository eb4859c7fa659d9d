"""Foundations every stage may use: reports and their codes, errors, natural order,
node sets and host names (each rule in one place), progress, where data lives, the masking of secrets, complete writes and
parsed read-back."""
