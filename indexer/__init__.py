"""bulletin-search indexer: archive files in, a searchable whoosh index out."""
