"""Inbound monitoring integrations, with no ORM: one folder per sender, each a pure parser over real
fixtures, turning a payload into the signals of ``parsed``; ``reading`` and ``severity`` are what
every parser shares, ``samples`` the test event each kind of sender would send."""
