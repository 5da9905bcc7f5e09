"""The dataset registry: a name maps to its canonical public source, sha256, size, reader, description and credit; load(name) parses it, fetch(name) returns a local path. Lookup order: cache, then the mirror (SPACEKIT_DATA_MIRROR), then the network.

Layer 3 (data)."""
