"""The `archive-census` command line: the composition root above every other package."""
