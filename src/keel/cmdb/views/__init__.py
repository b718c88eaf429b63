"""The CMDB in the console, by concept: CIs and the impact graph, business services, CSV import and export."""
