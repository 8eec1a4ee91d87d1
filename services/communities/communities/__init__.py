"""The communities service: subwikis: thematic communities, their wiki pages, members and moderators."""
