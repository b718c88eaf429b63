"""Inbound monitoring integrations: one folder per sender, each a pure parser over real fixtures."""
