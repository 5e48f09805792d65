"""Demo models to share: reports with authors, tags, comments and documents."""
