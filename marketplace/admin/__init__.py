"""The admin area at `/admin`: one blueprint (`routes`), one sub-blueprint per area, access
checked once for all of them (`access`), every change recorded in the audit log (`audit`)."""
