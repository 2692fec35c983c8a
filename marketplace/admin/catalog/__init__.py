"""Catalog admin: the add-on list, the add-on form, feature mappings, (de)activation."""
