"""The content service: posts, wiki edits, comments, votes and reports."""
