"""PagerDuty Events API v2 (``/v2/enqueue``) and Change Events (``/v2/change/enqueue``), as any client sends them."""
