"""Reports people share: the terminal summary and the self-contained HTML report."""
