"""The admin audit log: `service.record` writes it, `queries` reads it, `routes` shows it."""
