"""Forums, their members, threads and posts, reading position and search."""
