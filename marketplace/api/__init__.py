"""JSON API for platform services (`/api/v1`), authenticated by bearer tokens."""
