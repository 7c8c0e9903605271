"""The pages bench's pieces: what it reads and how it times each page against its JSON."""
