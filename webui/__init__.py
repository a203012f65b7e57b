"""bulletin-search web UI and JSON API."""
